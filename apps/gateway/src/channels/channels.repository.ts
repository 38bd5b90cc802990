import { Injectable } from '@nestjs/common';
import { type ChannelKind, type MemberRole, type NotifyLevel } from '@chat/contracts';
import { isUniqueViolation, shownUsernameSql, Sql, unseen } from '@chat/database';
import type { ChannelRow, MemberRow } from './channel.mapper';

/** What authorization needs of a channel, with one user's membership. */
export interface ChannelAccessRow {
  id: string;
  kind: ChannelKind;
  lastSeq: number;
  /** The user's role in the channel, null when not a member. */
  role: MemberRole | null;
  /** Archived: read-only. */
  archived: boolean;
}

export interface UnreadRow {
  user_id: string;
  unread_count: number;
  mention_count: number;
  /** The member's own notification preferences (NULL notify: the kind's default). */
  notify: NotifyLevel | null;
  muted: boolean;
}

/** A member's unread messages: after their read marker, by others, not deleted. `m` is the membership. */
const UNREAD_COUNT = `(SELECT count(*)::int FROM messages x
    WHERE x.channel_id = m.channel_id AND x.seq > m.last_read_seq
      AND x.author_id <> m.user_id AND x.deleted_at IS NULL)`;

/**
 * A member's unread mentions: messages after their read marker, by others, that mention them or
 * the channel (user_id NULL). A deleted message has no message_mentions rows. Read from
 * message_mentions (channel_id, user_id, seq): two short index ranges per channel, however long
 * the backlog of unread messages without mentions.
 */
const MENTION_COUNT = `(SELECT count(DISTINCT mm.message_id)::int FROM message_mentions mm
    WHERE mm.channel_id = m.channel_id AND mm.seq > m.last_read_seq
      AND (mm.user_id = m.user_id OR mm.user_id IS NULL) AND mm.author_id <> m.user_id)`;

/**
 * Channels as one viewer sees them ($1 is the viewer's id). Counts come from indexes: memberships'
 * primary key (channel_id, user_id) and messages (channel_id, seq).
 */
const CHANNEL_SELECT = `
  SELECT c.id, c.name, c.kind, c.topic, c.created_by, c.created_at, c.last_seq, c.archived_at,
         (SELECT count(*)::int FROM memberships mc WHERE mc.channel_id = c.id) AS member_count,
         CASE WHEN m.user_id IS NULL THEN 0 ELSE ${UNREAD_COUNT} END AS unread_count,
         CASE WHEN m.user_id IS NULL THEN 0 ELSE ${MENTION_COUNT} END AS mention_count,
         m.notify, m.muted,
         CASE WHEN c.kind = 'dm' THEN (
           SELECT ${shownUsernameSql('u')}
             FROM memberships md JOIN users u ON u.id = md.user_id
            WHERE md.channel_id = c.id AND md.user_id <> $1
            ORDER BY u.username LIMIT 1
         ) END AS dm_name
    FROM channels c
    LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $1`;

const MEMBER_SELECT = `
  SELECT m.user_id, u.username, u.bot, u.deactivated_at IS NOT NULL AS deactivated, m.role, m.joined_at
    FROM memberships m JOIN users u ON u.id = m.user_id`;

/** The unique index a public channel's name hits. */
const PUBLIC_NAME_KEY = 'channels_public_name_key';

/** The name each user's channel list is prepared under on each connection (see `unseen`). */
export const MEMBER_CHANNELS_NAME = 'chat_member_channels_v1';

/** Every statement about channels, memberships and read markers. */
@Injectable()
export class ChannelsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The same statements inside one transaction (joined when already in one), with its Sql for
   * what must commit with them (the audit record).
   */
  transaction<T>(fn: (tx: ChannelsRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new ChannelsRepository(sql), sql));
  }

  /** The channels `userId` is a member of, as they see them (unordered). */
  listForMember(userId: string): Promise<ChannelRow[]> {
    return this.sql.rows<ChannelRow>(`${CHANNEL_SELECT} WHERE m.user_id = $1`, [userId]);
  }

  /** Live (not archived) public channels whose lower-cased name matches the LIKE `pattern`, by name. */
  browsePublic(viewerId: string, pattern: string, limit: number): Promise<ChannelRow[]> {
    return this.sql.rows<ChannelRow>(
      `${CHANNEL_SELECT} WHERE c.kind = 'public' AND c.archived_at IS NULL AND lower(c.name) LIKE $2 ESCAPE '\\'
        ORDER BY lower(c.name) LIMIT $3`,
      [viewerId, pattern, limit],
    );
  }

  forViewer(viewerId: string, channelId: string): Promise<ChannelRow | undefined> {
    return this.sql.one<ChannelRow>(`${CHANNEL_SELECT} WHERE c.id = $2`, [viewerId, channelId]);
  }

  async accessOf(channelId: string, userId: string): Promise<ChannelAccessRow | undefined> {
    const row = await this.sql.one<{
      id: string;
      kind: ChannelKind;
      last_seq: string;
      role: MemberRole | null;
      archived: boolean;
    }>(
      `SELECT c.id, c.kind, c.last_seq, m.role, c.archived_at IS NOT NULL AS archived
         FROM channels c LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $2
        WHERE c.id = $1`,
      [channelId, userId],
    );
    return (
      row && {
        id: row.id,
        kind: row.kind,
        lastSeq: Number(row.last_seq),
        role: row.role,
        archived: row.archived,
      }
    );
  }

  async memberChannelIds(userId: string): Promise<string[]> {
    return (await this.memberChannelIdsOfMany([userId])).get(userId) ?? [];
  }

  /** Each user's channel ids (users without any are absent), in one statement for many users. */
  async memberChannelIdsOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    // Prepared: every handshake runs it (see `unseen`).
    const rows = await this.sql.prepared<{ user_id: string; channel_ids: string[] }>(
      MEMBER_CHANNELS_NAME,
      `SELECT user_id, array_agg(channel_id) AS channel_ids FROM memberships
        WHERE user_id = ANY(${unseen('$1::uuid[]')}) GROUP BY user_id`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.channel_ids]));
  }

  /** A public or private channel with its owner; null when a public channel has that name already. */
  createChannel(
    name: string,
    kind: 'public' | 'private',
    topic: string,
    ownerId: string,
  ): Promise<string | null> {
    return this.sql.transaction(async (tx) => {
      // The only unique index a new public or private channel can hit is the public-name one.
      const row = await tx.one<{ id: string }>(
        `INSERT INTO channels (name, kind, topic, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id`,
        [name, kind, topic, ownerId],
      );
      if (!row) return null;
      await tx.rows(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        row.id,
        ownerId,
      ]);
      return row.id;
    });
  }

  /** Sets what is given (null keeps it); false when the new name is a taken public one. */
  async updateSettings(channelId: string, name: string | null, topic: string | null): Promise<boolean> {
    try {
      await this.sql.rows(
        `UPDATE channels SET name = COALESCE($2, name), topic = COALESCE($3, topic) WHERE id = $1`,
        [channelId, name, topic],
      );
      return true;
    } catch (err) {
      if (isUniqueViolation(err, PUBLIC_NAME_KEY)) return false;
      throw err;
    }
  }

  /** Members, the owner first, then by name. */
  members(channelId: string): Promise<MemberRow[]> {
    return this.sql.rows<MemberRow>(
      `${MEMBER_SELECT} WHERE m.channel_id = $1 ORDER BY (m.role = 'owner') DESC, lower(u.username)`,
      [channelId],
    );
  }

  member(channelId: string, userId: string): Promise<MemberRow | undefined> {
    return this.sql.one<MemberRow>(`${MEMBER_SELECT} WHERE m.channel_id = $1 AND m.user_id = $2`, [
      channelId,
      userId,
    ]);
  }

  /**
   * Adds a membership if absent, its read marker at the newest message (joining brings no backlog of
   * unread messages). The new member's username, or null when they were one already.
   */
  async addMember(channelId: string, userId: string): Promise<string | null> {
    const row = await this.sql.one<{ username: string }>(
      `WITH added AS (
         INSERT INTO memberships (channel_id, user_id, role, last_read_seq)
         SELECT c.id, $2, 'member', c.last_seq FROM channels c WHERE c.id = $1
         ON CONFLICT DO NOTHING
         RETURNING user_id)
       SELECT u.username FROM added JOIN users u ON u.id = added.user_id`,
      [channelId, userId],
    );
    return row?.username ?? null;
  }

  /** Removes a membership if present: the former member's username, or null when there was none. */
  async removeMember(channelId: string, userId: string): Promise<string | null> {
    const row = await this.sql.one<{ username: string }>(
      `WITH gone AS (DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2 RETURNING user_id)
       SELECT u.username FROM gone JOIN users u ON u.id = gone.user_id`,
      [channelId, userId],
    );
    return row?.username ?? null;
  }

  /**
   * Moves the read marker forward to `seq`, capped at the channel's last message and never
   * backwards. Whether it moved.
   */
  async moveReadMarker(channelId: string, userId: string, seq: number): Promise<boolean> {
    const moved = await this.sql.rows(
      `UPDATE memberships m SET last_read_seq = LEAST($3::bigint, c.last_seq)
         FROM channels c
        WHERE c.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2
          AND m.last_read_seq < LEAST($3::bigint, c.last_seq)
        RETURNING m.user_id`,
      [channelId, userId, seq],
    );
    return moved.length > 0;
  }

  /**
   * The DM under `dmKey` between `a` and `b`; created (with both memberships) when absent and
   * `mayCreate`. Null when absent and not to be created. Safe against concurrent calls: of two racing
   * inserts on the unique dm_key, one inserts and the other waits for it to commit and then finds it.
   */
  openDm(
    a: string,
    b: string,
    dmKey: string,
    mayCreate: boolean,
  ): Promise<{ id: string; isNew: boolean } | null> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.one<{ id: string }>(
        `INSERT INTO channels (name, kind, created_by, dm_key)
         SELECT '', 'dm', $1, $2 WHERE $3::boolean
         ON CONFLICT (dm_key) WHERE dm_key IS NOT NULL DO NOTHING
         RETURNING id`,
        [a, dmKey, mayCreate],
      );
      if (inserted) {
        await tx.rows(`INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2), ($1, $3)`, [
          inserted.id,
          a,
          b,
        ]);
        return { id: inserted.id, isNew: true };
      }
      const existing = await tx.one<{ id: string }>('SELECT id FROM channels WHERE dm_key = $1', [dmKey]);
      return existing ? { id: existing.id, isNew: false } : null;
    });
  }

  /**
   * Sets the member's notification preferences: `notify` when `setNotify` (null: the kind's
   * default), `muted` unless null. False when `userId` is not a member (any more).
   */
  async setPreferences(
    channelId: string,
    userId: string,
    setNotify: boolean,
    notify: NotifyLevel | null,
    muted: boolean | null,
  ): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE memberships
          SET notify = CASE WHEN $3::boolean THEN $4::varchar ELSE notify END,
              muted = COALESCE($5::boolean, muted)
        WHERE channel_id = $1 AND user_id = $2
        RETURNING user_id`,
      [channelId, userId, setNotify, notify, muted],
    );
    return rows.length > 0;
  }

  /** Every member of the channel with their unread count and notification preferences. */
  unreadCounts(channelId: string): Promise<UnreadRow[]> {
    return this.sql.rows<UnreadRow>(
      `SELECT m.user_id, ${UNREAD_COUNT} AS unread_count, ${MENTION_COUNT} AS mention_count,
              m.notify, m.muted
         FROM memberships m WHERE m.channel_id = $1`,
      [channelId],
    );
  }
}
