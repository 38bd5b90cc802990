import { Injectable } from '@nestjs/common';
import type { NotificationKind } from '@chat/contracts';
import { Sql } from '@chat/database';

/** A user a digest may go to: verified address, digests on. */
export interface DigestRecipient {
  id: string;
  username: string;
  email: string;
}

/** A notification still unread, as a digest lists it. */
export interface PendingNotification {
  id: string;
  kind: NotificationKind;
  channelId: string;
  seq: number;
  title: string;
  body: string;
  /** Older than the window: unread that long, so it calls for a digest. */
  due: boolean;
}

/** `$n` milliseconds ago. */
const AGO = (param: string) => `now() - ${param}::bigint * interval '1 millisecond'`;

/** Users digests may go to (`u` is the user). */
const ELIGIBLE = `u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.email_notifications`;

/**
 * The notification `n` is still unread: its message exists and is not deleted, its user is still a
 * member of the channel with the channel read marker before it, and, for a thread reply, the
 * thread read marker (thread_follows) is before it too. Every lookup is by primary key.
 */
const UNREAD = `EXISTS (
    SELECT 1 FROM messages m
      JOIN memberships ms ON ms.channel_id = m.channel_id AND ms.user_id = n.user_id
     WHERE m.id = n.message_id AND m.deleted_at IS NULL AND ms.last_read_seq < n.seq
       AND NOT EXISTS (
         SELECT 1 FROM thread_follows f
          WHERE f.user_id = n.user_id AND f.root_id = m.thread_id AND f.last_read_seq >= n.seq))`;

/**
 * Every statement of the away digest. `emailed_at` set means "no longer pending": carried by a
 * digest, or skipped because it was read (or its user cannot get digests) before one was sent.
 */
@Injectable()
export class EmailDigestRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: EmailDigestRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new EmailDigestRepository(sql)));
  }

  /**
   * Retires pending notifications older than the window of users who cannot get a digest (no
   * verified address, or unsubscribed), so the pending index holds only what may still be sent.
   * At most `limit` rows (notifications_pending_idx); how many.
   */
  async skipUndeliverable(windowMs: number, limit: number): Promise<number> {
    const rows = await this.sql.rows(
      `UPDATE notifications SET emailed_at = now()
        WHERE id IN (
          SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id
           WHERE n.emailed_at IS NULL AND n.created_at < ${AGO('$1')} AND NOT (${ELIGIBLE})
           LIMIT $2)
          AND emailed_at IS NULL
        RETURNING id`,
      [windowMs, limit],
    );
    return rows.length;
  }

  /**
   * Up to `limit` users after `after` (by id; null: from the first) with a notification pending
   * for longer than the window, a verified address, digests on, and no digest within the window.
   * Pages by id so users who stay online (skipped round after round) cannot starve the others.
   * The pending rows come from notifications_pending_idx.
   */
  async dueUsers(windowMs: number, after: string | null, limit: number): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT u.id FROM users u
        WHERE u.id IN (
          SELECT n.user_id FROM notifications n
           WHERE n.emailed_at IS NULL AND n.created_at < ${AGO('$1')})
          AND ($2::uuid IS NULL OR u.id > $2::uuid)
          AND ${ELIGIBLE}
          AND (u.last_digest_at IS NULL OR u.last_digest_at < ${AGO('$1')})
        ORDER BY u.id
        LIMIT $3`,
      [windowMs, after, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Retires these users' pending notifications that were read meanwhile (never to be emailed). */
  async skipRead(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const rows = await this.sql.rows(
      `UPDATE notifications n SET emailed_at = now()
        WHERE n.user_id = ANY($1::uuid[]) AND n.emailed_at IS NULL AND NOT ${UNREAD}
        RETURNING n.id`,
      [userIds],
    );
    return rows.length;
  }

  /**
   * Locks the user for their digest, if they are still due one (checked again on the locked row)
   * and no other replica holds them: that replica is sending it (SKIP LOCKED). Inside a
   * transaction only; the lock lasts until it ends, so the send happens under it. NO KEY UPDATE:
   * the user's own sends (their foreign keys take KEY SHARE) never wait for an SMTP server.
   */
  claim(userId: string, windowMs: number): Promise<DigestRecipient | undefined> {
    return this.sql.one<DigestRecipient>(
      `SELECT u.id, u.username, u.email FROM users u
        WHERE u.id = $1 AND ${ELIGIBLE}
          AND (u.last_digest_at IS NULL OR u.last_digest_at < ${AGO('$2')})
        FOR NO KEY UPDATE SKIP LOCKED`,
      [userId, windowMs],
    );
  }

  /**
   * The user's unread pending notifications, oldest first, at most `limit` (the unique index on
   * (user_id, message_id) finds the user's rows).
   */
  async pending(userId: string, windowMs: number, limit: number): Promise<PendingNotification[]> {
    const rows = await this.sql.rows<PendingNotification & { seq: string }>(
      `SELECT n.id::text AS id, n.kind, n.channel_id AS "channelId", n.seq, n.title, n.body,
              n.created_at < ${AGO('$2')} AS due
         FROM notifications n
        WHERE n.user_id = $1 AND n.emailed_at IS NULL AND ${UNREAD}
        ORDER BY n.created_at, n.id
        LIMIT $3`,
      [userId, windowMs, limit],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  /** The link that stops this user's digests, stored hashed (the auth service answers it). */
  async addUnsubscribeToken(
    userId: string,
    email: string,
    tokenHash: Buffer,
    expiresAt: Date,
  ): Promise<void> {
    await this.sql.rows(
      `INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
       VALUES ($1, $2, 'unsubscribe', $3, $4)`,
      [tokenHash, userId, email, expiresAt],
    );
  }

  /** A digest carried these notifications: never again, and the next digest waits a window. */
  async markSent(userId: string, notificationIds: string[]): Promise<void> {
    await this.sql.rows(
      `WITH sent AS (
         UPDATE notifications SET emailed_at = now()
          WHERE id = ANY($2::bigint[]) AND user_id = $1 AND emailed_at IS NULL
       )
       UPDATE users SET last_digest_at = now() WHERE id = $1`,
      [userId, notificationIds],
    );
  }

  /** A digest could not be sent: the user's next try waits one window, as after a digest. */
  async deferDigest(userId: string): Promise<void> {
    await this.sql.rows(`UPDATE users SET last_digest_at = now() WHERE id = $1`, [userId]);
  }

  /**
   * Deletes notifications older than `maxAgeMs`, whatever their state (nobody wants a month-old
   * digest), among the `limit` oldest rows by primary key (which follows creation order): a
   * bounded index range, where filtering the whole table on created_at would read all of it to
   * find nothing. How many.
   */
  async pruneNotifications(maxAgeMs: number, limit: number): Promise<number> {
    const rows = await this.sql.rows(
      `DELETE FROM notifications WHERE id IN (
         SELECT id FROM notifications ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         AND created_at < ${AGO('$1')}
       RETURNING id`,
      [maxAgeMs, limit],
    );
    return rows.length;
  }

  /** Deletes up to `limit` expired link tokens of either purpose (email_tokens_expires_idx). */
  async pruneTokens(limit: number): Promise<number> {
    const rows = await this.sql.rows(
      `DELETE FROM email_tokens WHERE token_hash IN (
         SELECT token_hash FROM email_tokens WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [limit],
    );
    return rows.length;
  }
}
