import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { Message, MessagePage, SearchResult } from '@chat/contracts';
import {
  ChannelHistoryQueryDto,
  MessageBodyDto,
  MessageSearchQueryDto,
  SendMessageDto,
} from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { MessageResponse, MessagePageResponse, SearchResultResponse } from './dto/message.response';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get('channels/:id/messages')
  @ApiOperation({
    summary:
      'A page of history, ascending by seq (members only; default: the newest page; ?around=<seq>: the page centred on it, with hasMoreBefore/hasMoreAfter; ?roots=1: top-level messages only)',
  })
  @ApiOkResponse({ type: MessagePageResponse })
  history(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @Query() query: ChannelHistoryQueryDto,
  ): Promise<MessagePage> {
    return this.messages.history(user, channelId, query);
  }

  @Post('channels/:id/messages')
  @ApiOperation({
    summary:
      'Send a message (also pushed in real time); a reused clientId returns the original; threadId replies in a thread',
  })
  @ApiCreatedResponse({ type: MessageResponse })
  send(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @Body() dto: SendMessageDto,
  ): Promise<Message> {
    return this.messages.send(user, channelId, dto);
  }

  @Patch('messages/:id')
  @ApiOperation({ summary: 'Edit your own message' })
  @ApiOkResponse({ type: MessageResponse })
  edit(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Body() dto: MessageBodyDto,
  ): Promise<Message> {
    return this.messages.edit(user, id, dto.body);
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: "Delete a message (author, channel owner, moderator or admin; someone else's is audited)",
  })
  @ApiNoContentResponse()
  remove(@CurrentUser() user: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<void> {
    return this.messages.remove(user, id, auditContextOf(req));
  }

  @Get('search')
  @ApiOperation({
    summary:
      "Search the caller's channels, newest first (at most 50): full-text q, filters from/before/after/has=file/threadId; q may be left out when a filter is given",
  })
  @ApiOkResponse({ type: SearchResultResponse })
  async search(@CurrentUser() user: Principal, @Query() query: MessageSearchQueryDto): Promise<SearchResult> {
    return { messages: await this.messages.search(user, query) };
  }
}
