import { ApiProperty } from '@nestjs/swagger';
import type { ThreadList, ThreadSummary } from '@chat/contracts';
import { MessageResponse } from './message.response';

/** OpenAPI shapes of the contract's ThreadSummary and ThreadList. */
export class ThreadSummaryResponse implements ThreadSummary {
  @ApiProperty({ type: MessageResponse, description: "The thread's root message" }) root: MessageResponse;
  @ApiProperty({ description: "Replies after the caller's thread read marker, by others, not deleted" })
  unreadReplies: number;
  @ApiProperty({ format: 'date-time', description: 'When the newest reply was sent' }) lastReplyAt: string;
}

export class ThreadListResponse implements ThreadList {
  @ApiProperty({ type: [ThreadSummaryResponse], description: 'Newest reply first' })
  threads: ThreadSummaryResponse[];
  @ApiProperty({ description: 'Followed threads (all pages) with at least one unread reply' })
  unreadThreads: number;
  @ApiProperty() hasMore: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Pass as before= for the next page' })
  next: string | null;
}
