import { Injectable } from '@nestjs/common';
import type { ChannelKind, Role } from '@chat/contracts';
import { shownUsernameSql, Sql } from '@chat/database';

export interface ExportAccountRow {
  id: string;
  username: string;
  email: string | null;
  roles: Role[];
  createdAt: Date;
}

export interface ExportChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
}

export interface ExportMessageRow {
  id: string;
  channelId: string;
  seq: string;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  threadId: string | null;
  attachmentIds: string[] | null;
}

export interface ExportFileRow {
  id: string;
  channelId: string;
  name: string;
  size: string;
  contentType: string;
  createdAt: Date;
}

export interface ExportReactionRow {
  messageId: string;
  channelId: string;
  emoji: string;
  createdAt: Date;
}

/**
 * Every statement of a person's data export (`GET /auth/me/export`). It reads the gateway's
 * tables (`memberships`, `channels`, `messages`, `message_reactions`) and the media service's
 * (`files`) read-only, for this export only: the archive has to hold what the person wrote and
 * uploaded, and those services own the writes. Every list is read in keyset pages along an index,
 * so an export of any size costs the same per page and never holds a transaction open.
 */
@Injectable()
export class AccountExportRepository {
  constructor(private readonly sql: Sql) {}

  account(userId: string): Promise<ExportAccountRow | undefined> {
    return this.sql.one<ExportAccountRow>(
      `SELECT id, username, email, roles, created_at AS "createdAt"
         FROM users WHERE id = $1 AND deactivated_at IS NULL`,
      [userId],
    );
  }

  /** The channels the user belongs to (a DM named after the other side, as the user sees it). */
  channels(userId: string): Promise<ExportChannelRow[]> {
    return this.sql.rows<ExportChannelRow>(
      `SELECT c.id, c.kind,
              CASE WHEN c.kind = 'dm' THEN COALESCE((
                SELECT ${shownUsernameSql('u')}
                  FROM memberships md JOIN users u ON u.id = md.user_id
                 WHERE md.channel_id = c.id AND md.user_id <> $1
                 ORDER BY u.username LIMIT 1), c.name)
                   ELSE c.name END AS name
         FROM memberships m JOIN channels c ON c.id = m.channel_id
        WHERE m.user_id = $1
        ORDER BY c.created_at, c.id`,
      [userId],
    );
  }

  /**
   * The channels the user ever wrote in (left ones too), by id: a skip scan of the author index
   * (author_id, channel_id, created_at DESC), one probe per channel however many messages.
   */
  async authoredChannelIds(userId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ channelId: string }>(
      `WITH RECURSIVE c AS (
         (SELECT channel_id FROM messages WHERE author_id = $1 ORDER BY channel_id LIMIT 1)
         UNION ALL
         SELECT (SELECT m.channel_id FROM messages m
                  WHERE m.author_id = $1 AND m.channel_id > c.channel_id
                  ORDER BY m.channel_id LIMIT 1)
           FROM c WHERE c.channel_id IS NOT NULL
       )
       SELECT channel_id AS "channelId" FROM c WHERE channel_id IS NOT NULL`,
      [userId],
    );
    return rows.map((r) => r.channelId);
  }

  /**
   * A page of the user's messages in one channel, oldest first, after the message `afterId` (null:
   * from the first). Keyset (created_at, seq): seq is unique in a channel, created_at bounds the
   * author index's range. Deleted ones too (as tombstones: the body is already erased).
   */
  messages(
    userId: string,
    channelId: string,
    afterId: string | null,
    limit: number,
  ): Promise<ExportMessageRow[]> {
    const after =
      afterId === null
        ? ''
        : `AND m.created_at >= (SELECT created_at FROM messages WHERE id = $4)
           AND (m.created_at, m.seq) > (SELECT created_at, seq FROM messages WHERE id = $4)`;
    return this.sql.rows<ExportMessageRow>(
      `SELECT m.id, m.channel_id AS "channelId", m.seq, m.body, m.created_at AS "createdAt",
              m.edited_at AS "editedAt", m.deleted_at AS "deletedAt", m.thread_id AS "threadId",
              CASE WHEN m.deleted_at IS NULL THEN (
                SELECT array_agg(f.id ORDER BY f.created_at, f.id) FROM files f
                 WHERE f.message_id = m.id AND f.status = 'ready') END AS "attachmentIds"
         FROM messages m
        WHERE m.author_id = $1 AND m.channel_id = $2 ${after}
        ORDER BY m.created_at, m.seq
        LIMIT $3`,
      afterId === null ? [userId, channelId, limit] : [userId, channelId, limit, afterId],
    );
  }

  /** A page of the files the user uploaded (finished uploads), oldest first, after `afterId`. */
  files(userId: string, afterId: string | null, limit: number): Promise<ExportFileRow[]> {
    const after =
      afterId === null ? '' : `AND (f.created_at, f.id) > (SELECT created_at, id FROM files WHERE id = $3)`;
    return this.sql.rows<ExportFileRow>(
      `SELECT f.id, f.channel_id AS "channelId", f.name, f.size, f.content_type AS "contentType",
              f.created_at AS "createdAt"
         FROM files f
        WHERE f.uploaded_by = $1 AND f.status = 'ready' ${after}
        ORDER BY f.created_at, f.id
        LIMIT $2`,
      afterId === null ? [userId, limit] : [userId, limit, afterId],
    );
  }

  /** A page of the user's reactions, by (message_id, emoji), after that pair. */
  reactions(
    userId: string,
    after: { messageId: string; emoji: string } | null,
    limit: number,
  ): Promise<ExportReactionRow[]> {
    return this.sql.rows<ExportReactionRow>(
      `SELECT r.message_id AS "messageId", m.channel_id AS "channelId", r.emoji, r.created_at AS "createdAt"
         FROM message_reactions r JOIN messages m ON m.id = r.message_id
        WHERE r.user_id = $1 ${after === null ? '' : 'AND (r.message_id, r.emoji) > ($3::uuid, $4::text)'}
        ORDER BY r.message_id, r.emoji
        LIMIT $2`,
      after === null ? [userId, limit] : [userId, limit, after.messageId, after.emoji],
    );
  }
}
