import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql } from '@chat/database';
import { NO_PASSWORD_HASH } from '@chat/security';

export interface WebhookRow {
  id: string;
  channelId: string;
  name: string;
  kind: 'incoming' | 'outgoing';
  /** Incoming: the account its messages are authored by. */
  userId: string | null;
  targetUrl: string | null;
  events: string[];
  createdBy: string;
  createdAt: Date;
}

/** An incoming webhook as a post to its URL needs it: the secret's hash and its author. */
export interface IncomingHook {
  id: string;
  channelId: string;
  secretHash: Buffer;
  userId: string;
  username: string;
  roles: Role[];
  banned: boolean;
}

export interface NewIncoming {
  channelId: string;
  name: string;
  secretHash: Buffer;
  createdBy: string;
  /** Usernames to try for its account, in order, until one is free. */
  usernames: string[];
  max: number;
}

export interface NewOutgoing {
  channelId: string;
  name: string;
  targetUrl: string;
  events: string[];
  secret: string;
  createdBy: string;
  max: number;
}

/** What must commit with a webhook's creation or deletion (its audit record), given the transaction. */
export type WithinTransaction = (tx: Sql, row: WebhookRow) => Promise<void>;

const COLUMNS = `w.id, w.channel_id AS "channelId", w.name, w.kind, w.user_id AS "userId",
  w.target_url AS "targetUrl", w.events, w.created_by AS "createdBy", w.created_at AS "createdAt"`;

/** Every statement about webhooks and their accounts. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * An incoming webhook and its author account (a bot user without password or token), together;
   * 'full' when the channel has `max` webhooks already. Undefined when every username was taken.
   */
  createIncoming(input: NewIncoming, also?: WithinTransaction): Promise<WebhookRow | 'full' | undefined> {
    return this.sql.transaction(async (tx) => {
      if (await this.isFull(tx, input.channelId, input.max)) return 'full';
      let userId: string | undefined;
      for (const username of input.usernames) {
        // DO NOTHING rather than catching the unique violation: an error would abort the transaction.
        const row = await tx.one<{ id: string }>(
          `INSERT INTO users (username, password_hash, roles, bot) VALUES ($1, $2, '{member}', true)
           ON CONFLICT DO NOTHING RETURNING id`,
          [username, NO_PASSWORD_HASH],
        );
        userId = row?.id;
        if (userId) break;
      }
      if (!userId) return undefined;
      const row = await tx.one<WebhookRow>(
        `INSERT INTO webhooks AS w (channel_id, name, user_id, kind, secret_hash, created_by)
         VALUES ($1, $2, $3, 'incoming', $4, $5) RETURNING ${COLUMNS}`,
        [input.channelId, input.name, userId, input.secretHash, input.createdBy],
      );
      if (row && also) await also(tx, row);
      return row;
    });
  }

  /** An outgoing webhook; 'full' when the channel has `max` webhooks already. */
  createOutgoing(input: NewOutgoing, also?: WithinTransaction): Promise<WebhookRow | 'full'> {
    return this.sql.transaction(async (tx) => {
      if (await this.isFull(tx, input.channelId, input.max)) return 'full';
      const row = await tx.one<WebhookRow>(
        `INSERT INTO webhooks AS w (channel_id, name, kind, secret, target_url, events, created_by)
         VALUES ($1, $2, 'outgoing', $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [input.channelId, input.name, input.secret, input.targetUrl, input.events, input.createdBy],
      );
      if (also) await also(tx, row!);
      return row!;
    });
  }

  /** The channel's webhooks, oldest first. */
  list(channelId: string): Promise<WebhookRow[]> {
    return this.sql.rows<WebhookRow>(
      `SELECT ${COLUMNS} FROM webhooks w WHERE w.channel_id = $1 ORDER BY w.created_at, w.id`,
      [channelId],
    );
  }

  /**
   * Deletes the channel's webhook and retires its account (marked banned: it is offered to nobody
   * any more, and its messages keep their author). The deleted row; undefined when there was none.
   */
  remove(channelId: string, id: string, also?: WithinTransaction): Promise<WebhookRow | undefined> {
    return this.sql.transaction(async (tx) => {
      const row = await tx.one<WebhookRow>(
        `DELETE FROM webhooks w WHERE w.id = $1 AND w.channel_id = $2 RETURNING ${COLUMNS}`,
        [id, channelId],
      );
      if (row?.userId)
        await tx.rows(`UPDATE users SET banned_at = coalesce(banned_at, now()) WHERE id = $1 AND bot`, [
          row.userId,
        ]);
      if (row && also) await also(tx, row);
      return row;
    });
  }

  /**
   * Every channel's webhooks with their channel's name and their creator's username, newest first,
   * after the cursor (the last webhook id of the page before; an unknown one answers an empty page).
   */
  overview(
    after: string | undefined,
    limit: number,
  ): Promise<(WebhookRow & { channelName: string; createdByUsername: string | null })[]> {
    return this.sql.rows<WebhookRow & { channelName: string; createdByUsername: string | null }>(
      `SELECT ${COLUMNS}, c.name AS "channelName", creator.username AS "createdByUsername"
         FROM webhooks w JOIN channels c ON c.id = w.channel_id
         LEFT JOIN users creator ON creator.id = w.created_by
        WHERE $1::uuid IS NULL
           OR (w.created_at, w.id) < (SELECT a.created_at, a.id FROM webhooks a WHERE a.id = $1)
        ORDER BY w.created_at DESC, w.id DESC
        LIMIT $2`,
      [after ?? null, limit],
    );
  }

  /** The incoming webhook `id` with its author, read on every post (a deletion applies at once). */
  incoming(id: string): Promise<IncomingHook | undefined> {
    return this.sql.one<IncomingHook>(
      `SELECT w.id, w.channel_id AS "channelId", w.secret_hash AS "secretHash", u.id AS "userId",
              u.username, u.roles, u.banned_at IS NOT NULL AS banned
         FROM webhooks w JOIN users u ON u.id = w.user_id
        WHERE w.id = $1 AND w.kind = 'incoming'`,
      [id],
    );
  }

  /**
   * Whether the channel has `max` webhooks already. Takes a per-channel lock held until the
   * transaction ends, so two concurrent creations cannot both see room for one more.
   */
  private async isFull(tx: Sql, channelId: string, max: number): Promise<boolean> {
    await tx.rows(`SELECT pg_advisory_xact_lock(hashtext('chat.webhooks:' || $1))`, [channelId]);
    const row = await tx.one<{ count: number }>(
      `SELECT count(*)::int AS count FROM webhooks WHERE channel_id = $1`,
      [channelId],
    );
    return row!.count >= max;
  }
}
