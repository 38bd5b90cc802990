import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Channel, DirectoryPage } from '@chat/contracts';
import { ChannelDirectoryQueryDto, ChannelOwnerDto } from '@chat/contracts/dto/admin-channels.dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, Roles, RolesGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { ChannelAdminService } from './channel-admin.service';
import { ChannelResponse, DirectoryPageResponse } from './dto/channel.response';

/**
 * Channel administration. Registered before ChannelsController, so `GET /channels/directory` is
 * this route and not `GET /channels/:id`.
 */
@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard, RolesGuard)
@Controller('channels')
export class ChannelAdminController {
  constructor(private readonly admin: ChannelAdminService) {}

  @Get('directory')
  @Roles('admin', 'moderator')
  @ApiOperation({
    summary:
      'Public and private channels for staff (admin, moderator), by name: q (substring), archived=true|false, after/limit paging',
  })
  @ApiOkResponse({ type: DirectoryPageResponse })
  directory(@Query() query: ChannelDirectoryQueryDto): Promise<DirectoryPage> {
    return this.admin.directory(query);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a channel: read-only from now on (owner, moderator or admin; audited)' })
  @ApiOkResponse({ type: ChannelResponse })
  archive(@CurrentUser() user: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<Channel> {
    return this.admin.archive(user, id, auditContextOf(req));
  }

  @Delete(':id/archive')
  @ApiOperation({ summary: 'Unarchive a channel (moderator or admin; audited)' })
  @ApiOkResponse({ type: ChannelResponse })
  unarchive(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Req() req: Request,
  ): Promise<Channel> {
    return this.admin.unarchive(user, id, auditContextOf(req));
  }

  @Put(':id/owner')
  @ApiOperation({
    summary:
      'Hand a channel to another owner, a member already (moderator or admin; not for DMs; audited); the previous owner stays a member',
  })
  @ApiOkResponse({ type: ChannelResponse })
  changeOwner(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: ChannelOwnerDto,
    @Req() req: Request,
  ): Promise<Channel> {
    return this.admin.changeOwner(user, id, dto.userId, auditContextOf(req));
  }
}
