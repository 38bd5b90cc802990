import { Body, Controller, Delete, Get, HttpCode, Ip, Logger, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AccountDeletionPolicy } from '@chat/contracts';
import { DeactivateUserDto, DeleteAccountDto } from '@chat/contracts/dto/account.dto';
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
import { AccountExportService } from './account-export.service';
import { AccountLifecycleService } from './account-lifecycle.service';
import { ExportAborted, ResponseSink } from './export-sink';

/** The caller's own account: deleting it, and downloading what they wrote and uploaded. */
@ApiTags('auth')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
// Deleting or exporting one's account stays open while a required two-factor set-up is pending.
@DuringTotpSetup()
@Controller('auth/me')
export class AccountLifecycleController {
  private readonly logger = new Logger(AccountLifecycleController.name);

  constructor(
    private readonly lifecycle: AccountLifecycleService,
    private readonly exports: AccountExportService,
  ) {}

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete the account (GDPR erasure): confirmed with the password (or the username for single sign-on); messages stay as "deleted user" unless eraseMessages',
  })
  remove(@CurrentUser() user: Principal, @Body() dto: DeleteAccountDto, @Ip() ip: string): Promise<void> {
    return this.lifecycle.deleteOwn(user, dto, ip);
  }

  @Get('deletion-policy')
  @ApiOperation({ summary: 'What deleting the account asks for (password or username) and allows' })
  policy(@CurrentUser() user: Principal): Promise<AccountDeletionPolicy> {
    return this.lifecycle.policy(user.id);
  }

  @Get('export')
  @ApiProduces('application/json')
  @ApiOperation({
    summary:
      'Download a JSON archive of the account, its channels, messages, files (links) and reactions (one export at a time)',
  })
  async export(@CurrentUser() user: Principal, @Res() res: Response): Promise<void> {
    // 429 and 404 are thrown from here, before any byte is sent, as ordinary error answers.
    const opened = await this.exports.open(user.id);
    res.status(200).set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${opened.filename}"`,
      'Cache-Control': 'no-store',
    });
    try {
      await opened.writeTo(new ResponseSink(res));
      res.end();
    } catch (err) {
      // The status line is gone already: a cut-off body is the only way left to say it failed.
      if (!(err instanceof ExportAborted)) this.logger.error({ err, userId: user.id }, 'export failed');
      res.destroy();
    }
  }
}

/** Admins deactivate someone else's account: the same erasure, audited. */
@ApiTags('moderation')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('auth/users')
export class UserDeactivationController {
  constructor(private readonly lifecycle: AccountLifecycleService) {}

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary:
      "Deactivate a user's account (admin only): the same erasure as DELETE /auth/me, audited; not oneself, not the last admin",
  })
  deactivate(
    @CurrentUser() actor: Principal,
    @IdParam('id') id: string,
    @Body() dto: DeactivateUserDto,
    @Req() req: Request,
  ): Promise<void> {
    return this.lifecycle.deactivate(actor, id, dto.eraseMessages === true, auditContextOf(req));
  }
}
