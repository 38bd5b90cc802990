import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql, userActiveSql } from '@chat/database';

/** An account as its deletion judges it. */
export interface LifecycleAccount {
  id: string;
  username: string;
  roles: Role[];
  passwordHash: string | null;
  bot: boolean;
  deactivatedAt: Date | null;
}

/** A message erased with its author's account, as a `message:deleted` push would name it. */
export interface ErasedMessage {
  id: string;
  channelId: string;
  seq: number;
}

const ACCOUNT_COLUMNS = `id, username, roles, password_hash AS "passwordHash", bot,
  deactivated_at AS "deactivatedAt"`;

/**
 * Every statement of account deletion (GDPR erasure). Besides auth's own tables it deletes the
 * account's rows in `push_subscriptions` (the gateway's) and tombstones its messages the way the
 * gateway deletes one (`MessagesRepository.tombstone`), so clients see a deleted message.
 */
@Injectable()
export class AccountLifecycleRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction; `sql` is that transaction, for its audit entry. */
  transaction<T>(fn: (tx: AccountLifecycleRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new AccountLifecycleRepository(sql), sql));
  }

  find(id: string): Promise<LifecycleAccount | undefined> {
    return this.sql.one<LifecycleAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  /**
   * Locks every active admin (in id order, so two deletions lock them in the same order and never
   * deadlock) and answers how many there are: until the transaction ends no other deletion or
   * deactivation can take the last one away.
   */
  async lockActiveAdmins(): Promise<number> {
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT id FROM users
        WHERE 'admin' = ANY(roles) AND ${userActiveSql()}
        ORDER BY id FOR UPDATE`,
    );
    return rows.length;
  }

  /** The account, locked until the transaction ends. */
  lock(id: string): Promise<LifecycleAccount | undefined> {
    return this.sql.one<LifecycleAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
  }

  /**
   * Erases the profile: the username becomes `placeholder` (its old name is free again), every
   * personal field and credential is cleared, the roles drop to member, every login session is
   * revoked (its refresh tokens stop working), and the account's recovery codes, push
   * subscriptions, pending email links, login hand-offs and bot token are deleted. With
   * `eraseMessages` the erasure of its messages is recorded as under way (`messages_erasure_at`).
   */
  async deactivate(id: string, placeholder: string, eraseMessages: boolean): Promise<void> {
    await this.sql.rows(
      `UPDATE users SET deactivated_at = now(), username = $2, email = NULL, email_verified_at = NULL,
              email_notifications = false, password_hash = NULL, totp_secret = NULL,
              totp_enabled_at = NULL, totp_last_step = NULL, oidc_issuer = NULL, oidc_subject = NULL,
              last_seen_at = NULL, roles = '{member}',
              messages_erasure_at = CASE WHEN $3::boolean THEN now() END
        WHERE id = $1`,
      [id, placeholder, eraseMessages],
    );
    await this.sql.rows(
      `UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
      [id],
    );
    for (const table of [
      'totp_recovery_codes',
      'push_subscriptions',
      'email_tokens',
      'login_handoffs',
      'bot_tokens',
    ]) {
      await this.sql.rows(`DELETE FROM ${table} WHERE user_id = $1`, [id]);
    }
  }

  /**
   * Tombstones up to `limit` live messages of `authorId` in `channelId`, newest first, created at or
   * before the message `before` (null: from the newest). Each batch is its own short transaction.
   * Walks the author index (author_id, channel_id, created_at DESC) downwards, so rows already
   * erased are not read again. The same statement stamps the account's erasure as alive
   * (`messages_erasure_at`), so no other replica takes it over meanwhile. The erased messages, and
   * the oldest of them (the next cursor).
   */
  async eraseBatch(
    authorId: string,
    channelId: string,
    before: string | null,
    limit: number,
  ): Promise<{ erased: ErasedMessage[]; oldestId: string | null }> {
    // Two statement texts rather than `$4 IS NULL OR …`, so the cursor is an index bound, not a filter.
    const rows = await this.sql.rows<{ id: string; channelId: string; seq: string; createdAt: Date }>(
      `WITH batch AS (
         SELECT id FROM messages
          WHERE author_id = $1 AND channel_id = $2 AND deleted_at IS NULL
            ${before === null ? '' : 'AND created_at <= (SELECT created_at FROM messages WHERE id = $4)'}
          ORDER BY created_at DESC
          LIMIT $3
          FOR UPDATE
       ), mentions AS (
         DELETE FROM message_mentions WHERE message_id IN (SELECT id FROM batch)
       ), alive AS (
         UPDATE users SET messages_erasure_at = now() WHERE id = $1 AND messages_erasure_at IS NOT NULL
       )
       UPDATE messages m
          SET deleted_at = now(), body = '', pinned_at = NULL, pinned_by = NULL, mentions = NULL,
              updated_at = clock_timestamp()
         FROM batch WHERE m.id = batch.id
       RETURNING m.id, m.channel_id AS "channelId", m.seq, m.created_at AS "createdAt"`,
      before === null ? [authorId, channelId, limit] : [authorId, channelId, limit, before],
    );
    // Any row at the batch's oldest time is a sound cursor: every live row newer than it was taken.
    const oldest = rows.reduce<(typeof rows)[number] | null>(
      (min, r) => (min === null || r.createdAt < min.createdAt ? r : min),
      null,
    );
    return {
      erased: rows.map((r) => ({ id: r.id, channelId: r.channelId, seq: Number(r.seq) })),
      oldestId: oldest?.id ?? null,
    };
  }

  /**
   * Takes over the oldest erasure whose replica has shown no sign of life for `leaseMs` (it
   * stopped part-way: a crash, a deploy, a database outage), stamping it as this replica's. Two
   * replicas never take the same one: the row is locked, and skipped by the other, until stamped.
   */
  async claimLapsedErasure(leaseMs: number): Promise<string | undefined> {
    const row = await this.sql.one<{ id: string }>(
      `UPDATE users SET messages_erasure_at = now()
        WHERE id = (SELECT id FROM users
                     WHERE messages_erasure_at < now() - $1::float8 * interval '1 millisecond'
                     ORDER BY messages_erasure_at LIMIT 1
                     FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [leaseMs],
    );
    return row?.id;
  }

  /** Every message of the account is erased: the erasure is no longer under way. */
  async erasureDone(id: string): Promise<void> {
    await this.sql.rows(`UPDATE users SET messages_erasure_at = NULL WHERE id = $1`, [id]);
  }
}
