import { ApiProperty } from '@nestjs/swagger';
import {
  NOTIFY_LEVELS,
  type Channel,
  type ChannelKind,
  type DirectoryChannel,
  type DirectoryPage,
  type Member,
  type MemberRole,
  type NotifyLevel,
} from '@chat/contracts';

/** OpenAPI shapes of the contract's Channel and Member (the wire types live in libs/contracts). */
export class ChannelResponse implements Channel {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: "For a DM, the other member's username" }) name: string;
  @ApiProperty({ enum: ['public', 'private', 'dm'] }) kind: ChannelKind;
  @ApiProperty() topic: string;
  @ApiProperty({ format: 'uuid' }) createdBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty() memberCount: number;
  @ApiProperty({ description: 'Highest message seq in the channel' }) lastSeq: number;
  @ApiProperty({
    description: "Other members' undeleted messages after the caller's read marker (0 for a non-member)",
  })
  unreadCount: number;
  @ApiProperty({
    description: "Unread messages (after the caller's read marker) mentioning the caller, @channel or @here",
  })
  mentionCount: number;
  @ApiProperty({
    enum: NOTIFY_LEVELS,
    description: "The caller's notification level here (default: all in DMs, mentions elsewhere)",
  })
  notify: NotifyLevel;
  @ApiProperty({ description: 'The caller muted the channel: no notifications from it' })
  muted: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the channel was archived (read-only); null when it is not',
  })
  archivedAt: string | null;
}

export class MemberResponse implements Member {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role: MemberRole;
  @ApiProperty({ description: 'Has a socket connected to any gateway replica' }) online: boolean;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;
  @ApiProperty({ description: 'A bot account or an incoming webhook' }) bot: boolean;
}

class DirectoryOwnerResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
}

export class DirectoryChannelResponse implements DirectoryChannel {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['public', 'private'] }) kind: 'public' | 'private';
  @ApiProperty() topic: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty() memberCount: number;
  @ApiProperty({ description: 'Highest message seq in the channel' }) lastSeq: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) archivedAt: string | null;
  @ApiProperty({
    type: DirectoryOwnerResponse,
    nullable: true,
    description: 'null: the channel has no owner',
  })
  owner: DirectoryOwnerResponse | null;
}

export class DirectoryPageResponse implements DirectoryPage {
  @ApiProperty({ type: [DirectoryChannelResponse] }) channels: DirectoryChannelResponse[];
  @ApiProperty({ description: 'Whether more channels follow the last one' }) hasMore: boolean;
}
