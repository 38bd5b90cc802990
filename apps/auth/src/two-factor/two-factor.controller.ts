import { Body, Controller, Delete, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { TotpSetup } from '@chat/contracts';
import { TotpSetupResponse, TwoFactorCodeDto } from '@chat/contracts/dto/two-factor.dto';
import { IdParam } from '@chat/platform';
import {
  auditContextOf,
  CurrentUser,
  DuringTotpSetup,
  JwtAuthGuard,
  type Principal,
  Roles,
  RolesGuard,
} from '@chat/security';
import { TwoFactorService } from './two-factor.service';

@ApiTags('two-factor')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('auth')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Post('2fa/setup')
  @HttpCode(200)
  @DuringTotpSetup()
  @ApiOperation({
    summary:
      'Start a TOTP set-up: a secret, its otpauth URL and ten recovery codes (replaces a pending set-up; 409 when enabled)',
  })
  @ApiOkResponse({ type: TotpSetupResponse })
  setup(@CurrentUser() user: Principal): Promise<TotpSetup> {
    return this.twoFactor.setup(user);
  }

  @Post('2fa/enable')
  @HttpCode(204)
  @DuringTotpSetup()
  @ApiOperation({ summary: 'Enable two-factor with a current code of the pending secret' })
  @ApiNoContentResponse()
  enable(@CurrentUser() user: Principal, @Body() dto: TwoFactorCodeDto): Promise<void> {
    return this.twoFactor.enable(user, dto.code);
  }

  @Post('2fa/disable')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Disable two-factor with a code or an unused recovery code (403 while the settings require it)',
  })
  @ApiNoContentResponse()
  disable(@CurrentUser() user: Principal, @Body() dto: TwoFactorCodeDto): Promise<void> {
    return this.twoFactor.disable(user, dto.code);
  }

  @Delete('users/:id/2fa')
  @HttpCode(204)
  @UseGuards(RolesGuard)
  @Roles('admin')
  @ApiOperation({ summary: "Reset a user's two-factor after a lost device (admin only; audited)" })
  @ApiNoContentResponse()
  reset(@CurrentUser() actor: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<void> {
    return this.twoFactor.reset(actor, id, auditContextOf(req));
  }
}
