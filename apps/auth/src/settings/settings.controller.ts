import { Body, Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { SignInOptions, SignInSettings } from '@chat/contracts';
import { UpdateSignInSettingsDto } from '@chat/contracts/dto/admin.dto';
import { auditContextOf, CurrentUser, JwtAuthGuard, Roles, RolesGuard, type Principal } from '@chat/security';
import { SettingsErrors } from './settings.errors';
import { SignInOptionsService } from './sign-in-options.service';
import { SignInSettingsService } from './sign-in-settings.service';

@ApiTags('settings')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
@Controller('auth/settings')
export class SignInSettingsController {
  constructor(private readonly settings: SignInSettingsService) {}

  @Get('sign-in')
  @ApiOperation({ summary: 'Sign-in settings (admin only)' })
  get(): Promise<SignInSettings> {
    return this.settings.get();
  }

  @Put('sign-in')
  @ApiOperation({ summary: 'Change sign-in settings; every change is audited (admin only)' })
  update(
    @CurrentUser() actor: Principal,
    @Body() dto: UpdateSignInSettingsDto,
    @Req() req: Request,
  ): Promise<SignInSettings> {
    const { passwordLogin, oidcCreateAccounts, requireTotp } = dto;
    const patch = Object.fromEntries(
      Object.entries({ passwordLogin, oidcCreateAccounts, requireTotp }).filter(([, v]) => v !== undefined),
    ) as Partial<SignInSettings>;
    if (Object.keys(patch).length === 0) throw SettingsErrors.nothingToChange();
    return this.settings.update(actor, patch, auditContextOf(req));
  }
}

@ApiTags('auth')
@Controller('auth')
export class SignInOptionsController {
  constructor(private readonly options: SignInOptionsService) {}

  @Get('sign-in-options')
  @ApiOperation({ summary: 'What the login screen offers: password login, single sign-on (public)' })
  get(): Promise<SignInOptions> {
    return this.options.options();
  }
}
