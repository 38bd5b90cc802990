import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';
import type { UserRecord } from '@chat/domain';

/** A user as their own settings page sees them. */
export interface MeRecord extends UserRecord {
  email: string | null;
  emailVerifiedAt: Date | null;
  emailNotifications: boolean;
  /** TOTP two-factor is enabled. */
  totp: boolean;
  /** Signs in with a password (not single sign-on only): the sign-in settings' two-factor rule applies. */
  hasPassword: boolean;
}

const ME_COLUMNS = `id, username, roles, created_at AS "createdAt", bot, email,
  email_verified_at AS "emailVerifiedAt", email_notifications AS "emailNotifications",
  totp_enabled_at IS NOT NULL AS totp, password_hash IS NOT NULL AS "hasPassword"`;

/** Every statement about users' addresses and the tokens of the links emailed to them. */
@Injectable()
export class EmailRepository {
  constructor(private readonly sql: Sql) {}

  findMe(userId: string): Promise<MeRecord | undefined> {
    return this.sql.one<MeRecord>(`SELECT ${ME_COLUMNS} FROM users WHERE id = $1`, [userId]);
  }

  /**
   * Stores `email` unverified with a fresh verification token, replacing any earlier one (one live
   * link per user), unless it is already the user's verified address. The user's row is locked
   * first, so of two concurrent changes one runs after the other and only the last token lives.
   * The user as stored, and whether a new token was stored; undefined when the user is gone.
   */
  replaceAddress(
    userId: string,
    email: string,
    tokenHash: Buffer,
    expiresAt: Date,
  ): Promise<{ me: MeRecord; minted: boolean } | undefined> {
    return this.sql.transaction(async (tx) => {
      const current = await tx.one<MeRecord>(`SELECT ${ME_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [
        userId,
      ]);
      if (!current) return undefined;
      if (current.email === email && current.emailVerifiedAt) return { me: current, minted: false };
      await tx.rows(`DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'verify'`, [userId]);
      await tx.rows(
        `INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
         VALUES ($1, $2, 'verify', $3, $4)`,
        [tokenHash, userId, email, expiresAt],
      );
      const me = await tx.one<MeRecord>(
        `UPDATE users SET email = $2, email_verified_at = NULL WHERE id = $1 RETURNING ${ME_COLUMNS}`,
        [userId, email],
      );
      return { me: me!, minted: true };
    });
  }

  /** Removes the address; its pending verification link stops working. */
  async clearAddress(userId: string): Promise<void> {
    await this.sql.rows(
      `WITH gone AS (DELETE FROM email_tokens WHERE user_id = $1 AND purpose = 'verify')
       UPDATE users SET email = NULL, email_verified_at = NULL WHERE id = $1`,
      [userId],
    );
  }

  async setNotifications(userId: string, on: boolean): Promise<void> {
    await this.sql.rows(`UPDATE users SET email_notifications = $2 WHERE id = $1`, [userId, on]);
  }

  /**
   * Spends a verification token, whatever its state, and marks the address verified when the
   * token is live and the user's address is still the one it was sent to. Whether it did.
   */
  async verify(tokenHash: Buffer): Promise<boolean> {
    const rows = await this.sql.rows(
      `WITH spent AS (
         DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = 'verify'
         RETURNING user_id, email, expires_at
       )
       UPDATE users u SET email_verified_at = now()
         FROM spent
        WHERE u.id = spent.user_id AND spent.expires_at > now() AND u.email = spent.email
        RETURNING u.id`,
      [tokenHash],
    );
    return rows.length > 0;
  }

  /** Whether a live unsubscribe token has this hash (a read: the confirmation page changes nothing). */
  async unsubscribeTokenLive(tokenHash: Buffer): Promise<boolean> {
    const row = await this.sql.one(
      `SELECT 1 FROM email_tokens WHERE token_hash = $1 AND purpose = 'unsubscribe' AND expires_at > now()`,
      [tokenHash],
    );
    return row !== undefined;
  }

  /**
   * Turns off the digests of the live unsubscribe token's user. The token stays valid until it
   * expires: clicking the link again (or a mail client's one-click after a click) answers the same.
   */
  async unsubscribe(tokenHash: Buffer): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE users u SET email_notifications = false
         FROM email_tokens t
        WHERE t.token_hash = $1 AND t.purpose = 'unsubscribe' AND t.expires_at > now() AND u.id = t.user_id
        RETURNING u.id`,
      [tokenHash],
    );
    return rows.length > 0;
  }
}
