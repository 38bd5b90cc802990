import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Post,
  Put,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { Channel, Member } from '@chat/contracts';
import {
  ChannelPreferencesDto,
  ChannelSearchQueryDto,
  CreateChannelDto,
  ReadMarkerDto,
  UpdateChannelDto,
  UserIdDto,
} from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { ChannelsService } from './channels.service';
import { ChannelResponse, MemberResponse } from './dto/channel.response';

@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('channels')
export class ChannelsController {
  constructor(private readonly channels: ChannelsService) {}

  @Get()
  @ApiOperation({ summary: 'Channels and DMs the caller is a member of' })
  @ApiOkResponse({ type: [ChannelResponse] })
  listMine(@CurrentUser() user: Principal): Promise<Channel[]> {
    return this.channels.listMine(user);
  }

  @Post()
  @ApiOperation({ summary: 'Create a public or private channel; the caller becomes its owner' })
  @ApiCreatedResponse({ type: ChannelResponse })
  create(@CurrentUser() user: Principal, @Body() dto: CreateChannelDto): Promise<Channel> {
    return this.channels.create(user, dto);
  }

  @Get('public')
  @ApiOperation({
    summary: 'Browse public channels that are not archived, optionally by name (at most 200, by name)',
  })
  @ApiOkResponse({ type: [ChannelResponse] })
  browse(@CurrentUser() user: Principal, @Query() query: ChannelSearchQueryDto): Promise<Channel[]> {
    return this.channels.browse(user, query.q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A channel (members; anyone for a public channel)' })
  @ApiOkResponse({ type: ChannelResponse })
  get(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<Channel> {
    return this.channels.get(user, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a channel or set its topic (owner, moderator or admin)' })
  @ApiOkResponse({ type: ChannelResponse })
  update(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: UpdateChannelDto,
  ): Promise<Channel> {
    return this.channels.update(user, id, dto);
  }

  @Post(':id/join')
  @HttpCode(200)
  @ApiOperation({ summary: 'Join a public channel (idempotent)' })
  @ApiOkResponse({ type: ChannelResponse })
  join(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<Channel> {
    return this.channels.join(user, id);
  }

  @Post(':id/leave')
  @HttpCode(204)
  @ApiOperation({ summary: 'Leave a channel (DMs cannot be left)' })
  @ApiNoContentResponse()
  leave(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<void> {
    return this.channels.leave(user, id);
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'Members of a channel with their online state (members only)' })
  @ApiOkResponse({ type: [MemberResponse] })
  members(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<Member[]> {
    return this.channels.members(user, id);
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add a member (private: owner, moderator or admin; public: any member; not for DMs)',
  })
  @ApiOkResponse({ type: MemberResponse })
  addMember(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: UserIdDto,
  ): Promise<Member> {
    return this.channels.addMember(user, id, dto.userId);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a member (owner, moderator or admin; audited); removing yourself leaves',
  })
  @ApiNoContentResponse()
  removeMember(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @IdParam('userId') userId: string,
    @Req() req: Request,
  ): Promise<void> {
    return this.channels.removeMember(user, id, userId, auditContextOf(req));
  }

  @Put(':id/preferences')
  @ApiOperation({
    summary: "Set the caller's notification level (all, mentions, none) and mute here (members only)",
  })
  @ApiOkResponse({ type: ChannelResponse })
  setPreferences(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: ChannelPreferencesDto,
  ): Promise<Channel> {
    return this.channels.setPreferences(user, id, dto);
  }

  @Post(':id/read')
  @HttpCode(204)
  @ApiOperation({ summary: "Move the caller's read marker forward to seq" })
  @ApiNoContentResponse()
  markRead(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: ReadMarkerDto,
  ): Promise<void> {
    return this.channels.markRead(user, id, dto.seq);
  }
}
