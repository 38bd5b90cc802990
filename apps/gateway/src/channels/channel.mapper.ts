import {
  DELETED_USER_NAME,
  type Channel,
  type ChannelKind,
  type Member,
  type MemberRole,
  type NotifyLevel,
} from '@chat/contracts';

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
  /** The viewer's level; NULL or absent: the kind's default. */
  notify?: NotifyLevel | null;
  muted?: boolean | null;
  dm_name: string | null;
  archived_at: Date | null;
}

/** What a member's notify level is when they never chose one. */
export function defaultNotifyLevel(kind: ChannelKind): NotifyLevel {
  return kind === 'dm' ? 'all' : 'mentions';
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
    notify: row.notify ?? defaultNotifyLevel(row.kind),
    muted: row.muted ?? false,
    archivedAt: row.archived_at ? row.archived_at.toISOString() : null,
  };
}

export interface MemberRow {
  user_id: string;
  username: string;
  bot: boolean;
  /** The member deleted their account: shown as DELETED_USER_NAME. */
  deactivated?: boolean;
  role: MemberRole;
  joined_at: Date;
}

export function toMemberDto(row: MemberRow, online: boolean): Member {
  return {
    userId: row.user_id,
    username: row.deactivated ? DELETED_USER_NAME : row.username,
    role: row.role,
    online,
    joinedAt: row.joined_at.toISOString(),
    bot: row.bot,
  };
}
