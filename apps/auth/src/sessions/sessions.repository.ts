import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';
import type { Account } from '../accounts/accounts.repository';

/** A refresh token, by its hash (the token itself is never stored). */
export interface StoredRefreshToken {
  id: string;
  sessionId: string;
  expiresAt: Date;
}

/** A refresh token about to be stored. */
export interface NewRefreshToken {
  tokenHash: string;
  expiresAt: Date;
}

/** A session locked for a refresh, with its user as they are now (undefined if the user is gone). */
export interface LockedSession {
  id: string;
  revokedAt: Date | null;
  user: Omit<Account, 'passwordHash'> | undefined;
}

/** pg_try_advisory_xact_lock key: one replica cleans at a time (arbitrary, fixed). */
const CLEANUP_LOCK = 7_364_120_001;

/** Every statement about login sessions and their refresh tokens. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: SessionsRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new SessionsRepository(sql)));
  }

  /**
   * A new session with its first token, in one statement: neither exists without the other. The
   * user's `last_seen_at` (the admin console's "last seen") moves in the same statement.
   */
  async start(userId: string, token: NewRefreshToken): Promise<string> {
    const row = await this.sql.one<{ session_id: string }>(
      `WITH s AS (INSERT INTO login_sessions (user_id) VALUES ($1) RETURNING id),
            seen AS (UPDATE users SET last_seen_at = now() WHERE id = $1)
       INSERT INTO refresh_tokens (session_id, token_hash, expires_at) SELECT id, $2, $3 FROM s
       RETURNING session_id`,
      [userId, token.tokenHash, token.expiresAt],
    );
    return row!.session_id;
  }

  /** The session's next token (a refresh); its user's `last_seen_at` moves in the same statement. */
  async addToken(sessionId: string, token: NewRefreshToken): Promise<void> {
    await this.sql.rows(
      `WITH seen AS (UPDATE users SET last_seen_at = now()
                      WHERE id = (SELECT user_id FROM login_sessions WHERE id = $1))
       INSERT INTO refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)`,
      [sessionId, token.tokenHash, token.expiresAt],
    );
  }

  findToken(tokenHash: string): Promise<StoredRefreshToken | undefined> {
    return this.sql.one<StoredRefreshToken>(
      `SELECT id, session_id AS "sessionId", expires_at AS "expiresAt" FROM refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
  }

  /** Locks the session until the transaction ends, so refreshes of one session take turns. */
  async lockWithUser(sessionId: string): Promise<LockedSession | undefined> {
    const row = await this.sql.one<{
      id: string;
      revoked_at: Date | null;
      user_id: string | null;
      username: string;
      roles: Account['roles'];
      created_at: Date;
      banned_at: Date | null;
      bot: boolean;
    }>(
      `SELECT s.id, s.revoked_at, u.id AS user_id, u.username, u.roles, u.created_at, u.banned_at, u.bot
         FROM login_sessions s LEFT JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 FOR UPDATE OF s`,
      [sessionId],
    );
    if (!row) return undefined;
    const user = row.user_id
      ? {
          id: row.user_id,
          username: row.username,
          roles: row.roles,
          createdAt: row.created_at,
          bannedAt: row.banned_at,
          bot: row.bot,
        }
      : undefined;
    return { id: row.id, revokedAt: row.revoked_at, user };
  }

  /** Spends the token if it is still unspent: of two racing refreshes exactly one gets true. */
  async spend(tokenId: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE refresh_tokens SET spent_at = now() WHERE id = $1 AND spent_at IS NULL RETURNING id`,
      [tokenId],
    );
    return rows.length > 0;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.sql.rows(`UPDATE login_sessions SET revoked_at = now() WHERE id = $1`, [sessionId]);
  }

  /** Revokes the session the token belongs to, spent or not; nothing when no token has that hash. */
  async revokeByToken(tokenHash: string): Promise<void> {
    await this.sql.rows(
      `UPDATE login_sessions SET revoked_at = now()
        WHERE revoked_at IS NULL AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)`,
      [tokenHash],
    );
  }

  /**
   * The clean-up lock, held until the transaction ends; false at once when another replica holds
   * it (a transaction-level advisory lock, so a crash cannot leave it held).
   */
  async tryCleanupLock(): Promise<boolean> {
    const row = await this.sql.one<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
      CLEANUP_LOCK,
    ]);
    return row!.locked;
  }

  /**
   * Deletes up to `limit` tokens expired before `now`, oldest first (refresh_tokens_expires_at_idx);
   * the sessions they belonged to. SKIP LOCKED: a token a refresh is reading right now waits for the
   * next run.
   */
  async deleteExpiredTokens(now: Date, limit: number): Promise<string[]> {
    const rows = await this.sql.rows<{ session_id: string }>(
      `DELETE FROM refresh_tokens WHERE id IN (
         SELECT id FROM refresh_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ) RETURNING session_id`,
      [now, limit],
    );
    return rows.map((r) => r.session_id);
  }

  /** Deletes those of `sessionIds` left with no token; how many. */
  async deleteEmptied(sessionIds: readonly string[]): Promise<number> {
    if (sessionIds.length === 0) return 0;
    const rows = await this.sql.rows(
      `DELETE FROM login_sessions s WHERE s.id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id) RETURNING s.id`,
      [sessionIds],
    );
    return rows.length;
  }

  /**
   * Deletes up to `limit` revoked sessions, earliest revoked first, and (by cascade) their tokens
   * (login_sessions_revoked_at_idx); how many. SKIP LOCKED as above.
   */
  async deleteRevoked(limit: number): Promise<number> {
    const rows = await this.sql.rows(
      `DELETE FROM login_sessions WHERE id IN (
         SELECT id FROM login_sessions WHERE revoked_at IS NOT NULL ORDER BY revoked_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ) RETURNING id`,
      [limit],
    );
    return rows.length;
  }
}
