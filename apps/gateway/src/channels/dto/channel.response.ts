import { ApiProperty } from '@nestjs/swagger';
import type { Channel, ChannelKind, Member, MemberRole } from '@chat/contracts';

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
}

export class MemberResponse implements Member {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role: MemberRole;
  @ApiProperty({ description: 'Has a socket connected to any gateway replica' }) online: boolean;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;
}
