import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthResult } from '@chat/contracts';
import { LoginThrottle } from '../accounts/login-throttle';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { OidcExchangeDto } from './dto/exchange.dto';
import { LOGIN_TTL_SECONDS, OidcService } from './oidc.service';

/** Binds a login to the browser that started it; sent back only to these routes. */
const STATE_COOKIE = 'chat_oidc_state';
const COOKIE_PATH = '/auth/oidc';

/** The value of cookie `name` in a Cookie header (the first one, as browsers send the most specific first). */
function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').slice(0, 8192).split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

@ApiTags('auth')
@Controller('auth/oidc')
export class OidcController {
  private readonly secureCookie: boolean;

  constructor(
    private readonly oidc: OidcService,
    private readonly throttle: LoginThrottle,
    @Inject(AUTH_CONFIG) config: AuthConfig,
  ) {
    this.secureCookie = config.publicUrl.startsWith('https:');
  }

  @Get('login')
  @ApiQuery({
    name: 'returnTo',
    required: false,
    description: 'A web client route (`/#/…`) to open after signing in',
  })
  @ApiOperation({ summary: 'Start single sign-on: redirects to the identity provider' })
  async login(
    @Query('returnTo') returnTo: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.throttle.consumeSsoStart(req.ip ?? 'unknown');
    const start = await this.oidc.startLogin(returnTo);
    if (start.state)
      res.cookie(STATE_COOKIE, start.state, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secureCookie,
        path: COOKIE_PATH,
        maxAge: LOGIN_TTL_SECONDS * 1000,
      });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, start.redirect);
  }

  @Get('callback')
  @ApiOperation({
    summary:
      'Where the identity provider sends the browser back: redirects to the web client, signed in or with the reason',
  })
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    const { redirect, spent } = await this.oidc.finishLogin(query, cookie(req.headers.cookie, STATE_COOKIE));
    if (spent)
      res.clearCookie(STATE_COOKIE, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secureCookie,
        path: COOKIE_PATH,
      });
    res.setHeader('Cache-Control', 'no-store');
    // The hand-off code must not travel on in a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.redirect(302, redirect);
  }

  @Post('exchange')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Trade the one-time code of a single sign-on for tokens (same answer as a login)',
  })
  exchange(@Body() dto: OidcExchangeDto): Promise<AuthResult> {
    return this.oidc.exchange(dto.code);
  }
}
