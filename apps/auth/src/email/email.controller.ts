import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Patch,
  Post,
  Query,
  Redirect,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Me } from '@chat/contracts';
import { UpdateMeDto } from '@chat/contracts/dto';
import { CurrentUser, DuringTotpSetup, JwtAuthGuard, type Principal } from '@chat/security';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { confirmUnsubscribePage, invalidLinkPage, unsubscribedPage } from './email-pages';
import { EmailService } from './email.service';

const TOKEN_QUERY = { name: 'token', required: true, description: 'The secret from the emailed link' };

@ApiTags('auth')
@Controller('auth')
export class EmailController {
  constructor(
    private readonly email: EmailService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @DuringTotpSetup()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller, with their email address and notification settings' })
  me(@CurrentUser() user: Principal): Promise<Me> {
    return this.email.me(user.id);
  }

  @Patch('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Set or clear the email address (a verification link is mailed to a new one) or turn digests on/off',
  })
  update(@CurrentUser() user: Principal, @Body() dto: UpdateMeDto): Promise<Me> {
    return this.email.update(user.id, dto);
  }

  @Get('email/verify')
  @Redirect(undefined, 303)
  @ApiQuery(TOKEN_QUERY)
  @ApiOperation({
    summary:
      'Confirm an email address (the emailed link); redirects to the web client settings with the outcome',
  })
  async verify(@Query('token') token: unknown): Promise<{ url: string }> {
    const outcome = await this.email.verify(token);
    return { url: `${this.config.publicUrl}/#/settings?email=${outcome}` };
  }

  @Get('email/unsubscribe')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/html')
  @ApiQuery(TOKEN_QUERY)
  @ApiOperation({ summary: 'The page a digest’s unsubscribe link opens: asks to confirm (changes nothing)' })
  async unsubscribePage(
    @Query('token') token: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    if (await this.email.unsubscribeLinkLive(token)) return confirmUnsubscribePage(token as string);
    res.status(404);
    return invalidLinkPage();
  }

  @Post('email/unsubscribe')
  @HttpCode(200)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/html')
  @ApiQuery(TOKEN_QUERY)
  @ApiOperation({
    summary: 'Stop digest emails: the confirmation form, and RFC 8058 one-click (List-Unsubscribe=One-Click)',
  })
  async unsubscribe(
    @Query('token') token: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // The body (List-Unsubscribe=One-Click, form or multipart) carries nothing the token does not.
    if (await this.email.unsubscribe(token)) return unsubscribedPage();
    res.status(404);
    return invalidLinkPage();
  }
}
