import { Body, Controller, Delete, HttpCode, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { User } from '@chat/contracts';
import { UpdateRolesDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, Roles, RolesGuard, type Principal } from '@chat/security';
import { ModerationService } from './moderation.service';

@ApiTags('moderation')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('auth/users')
export class ModerationController {
  constructor(private readonly moderation: ModerationService) {}

  @Patch(':id/roles')
  @Roles('admin')
  @ApiOperation({ summary: "Set a user's roles (admin only; audited)" })
  setRoles(
    @CurrentUser() actor: Principal,
    @IdParam('id') id: string,
    @Body() dto: UpdateRolesDto,
    @Req() req: Request,
  ): Promise<User> {
    return this.moderation.setRoles(actor, id, dto.roles, auditContextOf(req));
  }

  @Post(':id/ban')
  @HttpCode(204)
  @Roles('admin', 'moderator')
  @ApiOperation({ summary: 'Ban a user: logins, refreshes and open sockets end (audited)' })
  ban(@CurrentUser() actor: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<void> {
    return this.moderation.ban(actor, id, auditContextOf(req));
  }

  @Delete(':id/ban')
  @HttpCode(204)
  @Roles('admin', 'moderator')
  @ApiOperation({ summary: 'Lift a ban (audited)' })
  unban(@CurrentUser() actor: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<void> {
    return this.moderation.unban(actor, id, auditContextOf(req));
  }
}
