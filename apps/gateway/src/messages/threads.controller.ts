import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MessagePage, ThreadList } from '@chat/contracts';
import { ReadMarkerDto, RepliesQueryDto, ThreadListQueryDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { MessagePageResponse } from './dto/message.response';
import { ThreadListResponse } from './dto/thread.response';
import { REPLIES_PAGE_DEFAULT, ThreadsService } from './threads.service';

/**
 * Threads over REST. The caller's thread list is under /users/me because the front door routes
 * /users to the gateway; it lives in the messages context (which owns threads) rather than the
 * users one, which the channels context depends on.
 */
@ApiTags('threads')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller()
export class ThreadsController {
  constructor(private readonly threads: ThreadsService) {}

  @Get('messages/:id/replies')
  @ApiOperation({
    summary:
      "A page of a thread's replies, ascending by seq, without the root (:id the root or a reply; members only)",
  })
  @ApiOkResponse({ type: MessagePageResponse })
  replies(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Query() query: RepliesQueryDto,
  ): Promise<MessagePage> {
    return this.threads.replies(user, id, query.after ?? 0, query.limit ?? REPLIES_PAGE_DEFAULT);
  }

  @Post('messages/:id/read')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Move the caller's thread read marker forward to seq (:id the root or a reply; no-op for a thread not followed)",
  })
  @ApiNoContentResponse()
  read(@CurrentUser() user: Principal, @IdParam('id') id: string, @Body() dto: ReadMarkerDto): Promise<void> {
    return this.threads.markRead(user, id, dto.seq);
  }

  @Get('users/me/threads')
  @ApiOperation({
    summary:
      'Threads the caller follows, newest reply first, with unread replies and the unread-thread total',
  })
  @ApiOkResponse({ type: ThreadListResponse })
  list(@CurrentUser() user: Principal, @Query() query: ThreadListQueryDto): Promise<ThreadList> {
    return this.threads.list(user, query.limit, query.before);
  }
}
