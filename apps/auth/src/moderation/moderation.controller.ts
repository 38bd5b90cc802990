import { Body, Controller, Delete, HttpCode, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { User } from '@chat/contracts';
import { UpdateRolesDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, Roles, RolesGuard, type Principal } from '@chat/security';
import { ModerationService } from './moderation.service';

@ApiTags('moderation')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('auth/users')
export class ModerationController {
  constructor(private readonly moderation: ModerationService) {}

  @Patch(':id/roles')
  @Roles('admin')
  @ApiOperation({ summary: "Set a user's roles (admin only)" })
  setRoles(@IdParam('id') id: string, @Body() dto: UpdateRolesDto): Promise<User> {
    return this.moderation.setRoles(id, dto.roles);
  }

  @Post(':id/ban')
  @HttpCode(204)
  @Roles('admin', 'moderator')
  @ApiOperation({ summary: 'Ban a user: logins, refreshes and open sockets end' })
  ban(@CurrentUser() actor: Principal, @IdParam('id') id: string): Promise<void> {
    return this.moderation.ban(actor, id);
  }

  @Delete(':id/ban')
  @HttpCode(204)
  @Roles('admin', 'moderator')
  @ApiOperation({ summary: 'Lift a ban' })
  unban(@CurrentUser() actor: Principal, @IdParam('id') id: string): Promise<void> {
    return this.moderation.unban(actor, id);
  }
}
