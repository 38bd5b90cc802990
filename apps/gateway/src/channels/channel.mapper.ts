import type { Channel, ChannelKind, Member, MemberRole } from '@chat/contracts';

/** A channel as read for one viewer (CHANNEL_SELECT in channels.repository.ts). */
export interface ChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
  topic: string;
  created_by: string;
  created_at: Date;
  last_seq: string | number;
  member_count: number;
  unread_count: number;
  /** Absent in a row that does not select it (issue #16 adds it). */
  mention_count?: number | string;
  dm_name: string | null;
}

/** The only way a channel leaves the gateway: a whitelist of the contract's fields. */
export function toChannelDto(row: ChannelRow): Channel {
  return {
    id: row.id,
    // A DM has no name of its own: each side sees the other's username.
    name: row.kind === 'dm' ? (row.dm_name ?? row.name) : row.name,
    kind: row.kind,
    topic: row.topic,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    memberCount: Number(row.member_count),
    lastSeq: Number(row.last_seq),
    unreadCount: Number(row.unread_count),
    mentionCount: Number(row.mention_count ?? 0),
  };
}

export interface MemberRow {
  user_id: string;
  username: string;
  role: MemberRole;
  joined_at: Date;
}

export function toMemberDto(row: MemberRow, online: boolean): Member {
  return {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    online,
    joinedAt: row.joined_at.toISOString(),
  };
}
