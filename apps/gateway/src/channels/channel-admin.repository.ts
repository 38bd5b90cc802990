import { Injectable } from '@nestjs/common';
import { type DirectoryChannel, type MemberRole } from '@chat/contracts';
import { shownUsernameSql, Sql } from '@chat/database';

/** Which channels a page of the staff directory holds: by lower(name), then id, after the cursor. */
export interface DirectoryFilter {
  /** The last channel id of the page before. */
  after?: string;
  limit: number;
  /** A LIKE pattern over the lower-cased name (escaped with backslashes). */
  pattern?: string;
  archived?: boolean;
}

/** What handing a channel to another owner did: the owners it had before, or why nothing. */
export type OwnerChange = { previous: string[]; changed: boolean } | 'not-member';

interface DirectoryRow {
  id: string;
  name: string;
  kind: 'public' | 'private';
  topic: string;
  created_at: Date;
  last_seq: string;
  archived_at: Date | null;
  member_count: number;
  owner_id: string | null;
  owner_username: string | null;
}

/** The statements of channel administration (issue #19): archival, ownership, the staff directory. */
@Injectable()
export class ChannelAdminRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction, with its Sql for the audit record. */
  transaction<T>(fn: (tx: ChannelAdminRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new ChannelAdminRepository(sql), sql));
  }

  /**
   * Archives (`by` set) or unarchives (`by` null) a public or private channel: its name when that
   * changed something, null when it was so already. Takes the channel's row lock, which every send
   * takes too, so no message is stored into a channel once its archival committed.
   */
  async setArchived(channelId: string, by: string | null): Promise<string | null> {
    const row = await this.sql.one<{ name: string }>(
      `UPDATE channels
          SET archived_at = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() END, archived_by = $2::uuid
        WHERE id = $1 AND kind <> 'dm' AND (archived_at IS NULL) = ($2::uuid IS NOT NULL)
        RETURNING name`,
      [channelId, by],
    );
    return row?.name ?? null;
  }

  /**
   * Makes `userId`, a member, the channel's only owner; the previous owners stay members. Run it in
   * a transaction: the memberships concerned stay locked until it ends.
   */
  async changeOwner(channelId: string, userId: string): Promise<OwnerChange> {
    const rows = await this.sql.rows<{ user_id: string; role: MemberRole }>(
      `SELECT user_id, role FROM memberships
        WHERE channel_id = $1 AND (role = 'owner' OR user_id = $2) FOR UPDATE`,
      [channelId, userId],
    );
    const target = rows.find((r) => r.user_id === userId);
    if (!target) return 'not-member';
    const previous = rows.filter((r) => r.role === 'owner' && r.user_id !== userId).map((r) => r.user_id);
    if (target.role === 'owner' && previous.length === 0) return { previous, changed: false };
    await this.sql.rows(
      `UPDATE memberships SET role = CASE WHEN user_id = $2 THEN 'owner' ELSE 'member' END
        WHERE channel_id = $1 AND (role = 'owner' OR user_id = $2)`,
      [channelId, userId],
    );
    return { previous, changed: true };
  }

  /**
   * A page of the staff directory: public and private channels (never DMs) with their owner. The
   * cursor is the last channel's (lower(name), id); an unknown one answers an empty page.
   */
  async directory(filter: DirectoryFilter): Promise<{ channels: DirectoryChannel[]; hasMore: boolean }> {
    const rows = await this.sql.rows<DirectoryRow>(
      `SELECT c.id, c.name, c.kind, c.topic, c.created_at, c.last_seq, c.archived_at,
              (SELECT count(*)::int FROM memberships mc WHERE mc.channel_id = c.id) AS member_count,
              o.user_id AS owner_id, o.username AS owner_username
         FROM channels c
         LEFT JOIN LATERAL (
           SELECT mo.user_id,
                  ${shownUsernameSql('u')} AS username
             FROM memberships mo JOIN users u ON u.id = mo.user_id
            WHERE mo.channel_id = c.id AND mo.role = 'owner' ORDER BY mo.joined_at LIMIT 1
         ) o ON true
        WHERE c.kind <> 'dm'
          AND ($1::uuid IS NULL
               OR (lower(c.name), c.id) > (SELECT lower(a.name), a.id FROM channels a WHERE a.id = $1))
          AND ($2::text IS NULL OR lower(c.name) LIKE $2 ESCAPE '\\')
          AND ($3::boolean IS NULL OR (c.archived_at IS NOT NULL) = $3)
        ORDER BY lower(c.name), c.id
        LIMIT $4`,
      [filter.after ?? null, filter.pattern ?? null, filter.archived ?? null, filter.limit + 1],
    );
    return {
      channels: rows.slice(0, filter.limit).map(toDirectoryChannel),
      hasMore: rows.length > filter.limit,
    };
  }
}

function toDirectoryChannel(r: DirectoryRow): DirectoryChannel {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    topic: r.topic,
    createdAt: r.created_at.toISOString(),
    memberCount: Number(r.member_count),
    lastSeq: Number(r.last_seq),
    archivedAt: r.archived_at ? r.archived_at.toISOString() : null,
    owner: r.owner_id ? { id: r.owner_id, username: r.owner_username ?? '' } : null,
  };
}
