import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Message, MessagePage, SearchResult } from '@chat/contracts';
import { HistoryQueryDto, MessageBodyDto, MessageSearchQueryDto, SendMessageDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
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
  @ApiOperation({ summary: 'A page of history, ascending by seq (members only; default: the newest page)' })
  @ApiOkResponse({ type: MessagePageResponse })
  history(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @Query() query: HistoryQueryDto,
  ): Promise<MessagePage> {
    return this.messages.history(user, channelId, query);
  }

  @Post('channels/:id/messages')
  @ApiOperation({
    summary: 'Send a message (also pushed in real time); a reused clientId returns the original',
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
  @ApiOperation({ summary: 'Delete a message (author, channel owner, moderator or admin)' })
  @ApiNoContentResponse()
  remove(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<void> {
    return this.messages.remove(user, id);
  }

  @Get('search')
  @ApiOperation({ summary: "Full-text search over the caller's channels, newest first (at most 50)" })
  @ApiOkResponse({ type: SearchResultResponse })
  async search(@CurrentUser() user: Principal, @Query() query: MessageSearchQueryDto): Promise<SearchResult> {
    return { messages: await this.messages.search(user, query.q, query.channelId) };
  }
}
