import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  FileInfo,
  Message,
  MessageAuthor,
  MessageMentions,
  MessagePage,
  Reaction,
  SearchResult,
} from '@chat/contracts';

/** OpenAPI shapes of the contract's Message and friends (the wire types live in libs/contracts). */
export class FileResponse implements FileInfo {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) channelId: string;
  @ApiProperty() name: string;
  @ApiProperty() size: number;
  @ApiProperty() contentType: string;
  @ApiProperty({ format: 'uuid' }) uploadedBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AuthorResponse implements MessageAuthor {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'A bot account or an incoming webhook' }) bot: boolean;
}

export class ReactionResponse implements Reaction {
  @ApiProperty({ description: 'One Unicode emoji or a :short_name:' }) emoji: string;
  @ApiProperty({ type: [String], description: 'Who reacted, in order of reaction' }) userIds: string[];
}

export class MentionsResponse implements MessageMentions {
  @ApiProperty({ type: [String], description: 'Members mentioned by @username' }) userIds: string[];
  @ApiProperty({ description: '@channel or @here' }) channel: boolean;
}

export class MessageResponse implements Message {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) channelId: string;
  @ApiProperty({
    description: 'Per-channel, gap-free, strictly increasing; display order and catch-up cursor',
  })
  seq: number;
  @ApiProperty({ type: AuthorResponse }) author: AuthorResponse;
  @ApiProperty({ description: '"" when deleted' }) body: string;
  @ApiProperty({ type: [FileResponse], description: '[] when deleted' }) attachments: FileResponse[];
  @ApiProperty({ type: String, nullable: true }) clientId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) editedAt: string | null;
  @ApiProperty() deleted: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "The thread root's id" })
  threadId: string | null;
  @ApiProperty({ description: 'Replies in this thread (roots only)' }) replyCount: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastReplyAt: string | null;
  @ApiProperty({ type: [ReactionResponse], description: 'In order of first use' })
  reactions: ReactionResponse[];
  @ApiProperty({ type: MentionsResponse }) mentions: MentionsResponse;
  @ApiProperty() pinned: boolean;
}

export class MessagePageResponse implements MessagePage {
  @ApiProperty({ type: [MessageResponse], description: 'Ascending by seq' }) messages: MessageResponse[];
  @ApiProperty({ description: 'More messages exist in the direction of the query' }) hasMore: boolean;
  @ApiPropertyOptional({ description: '?around= pages only: older messages exist before the first one' })
  hasMoreBefore?: boolean;
  @ApiPropertyOptional({ description: '?around= pages only: newer messages exist after the last one' })
  hasMoreAfter?: boolean;
}

export class SearchResultResponse implements SearchResult {
  @ApiProperty({ type: [MessageResponse], description: 'Newest first, at most 50' })
  messages: MessageResponse[];
}
