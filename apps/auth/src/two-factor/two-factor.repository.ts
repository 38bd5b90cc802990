import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';

/** A user's two-factor state: a secret without `enabledAt` is a set-up not yet confirmed. */
export interface TotpState {
  id: string;
  username: string;
  bot: boolean;
  secret: string | null;
  enabledAt: Date | null;
  /** The time step of the last code accepted; a code of it or an earlier one is refused. */
  lastStep: number | null;
}

interface TotpRow extends Omit<TotpState, 'lastStep'> {
  // bigint: node-postgres answers a string.
  lastStep: string | null;
}

const STATE_COLUMNS = `id, username, bot, totp_secret AS secret, totp_enabled_at AS "enabledAt",
  totp_last_step AS "lastStep"`;

const toState = (r: TotpRow | undefined): TotpState | undefined =>
  r && { ...r, lastStep: r.lastStep === null ? null : Number(r.lastStep) };

/** Every statement about users' TOTP secrets and recovery codes. */
@Injectable()
export class TwoFactorRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction; `sql` is for the audit entry of the same transaction. */
  transaction<T>(fn: (tx: TwoFactorRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new TwoFactorRepository(sql), sql));
  }

  async find(userId: string): Promise<TotpState | undefined> {
    return toState(await this.sql.one<TotpRow>(`SELECT ${STATE_COLUMNS} FROM users WHERE id = $1`, [userId]));
  }

  /** The same, with the row locked until the transaction ends: checks and changes take turns. */
  async lock(userId: string): Promise<TotpState | undefined> {
    return toState(
      await this.sql.one<TotpRow>(`SELECT ${STATE_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [userId]),
    );
  }

  /** Stores a pending secret and its recovery codes, replacing a pending set-up (run in a transaction). */
  async startSetup(userId: string, secret: string, codeHashes: Buffer[]): Promise<void> {
    await this.sql.rows(
      `UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1 AND totp_enabled_at IS NULL`,
      [userId, secret],
    );
    await this.sql.rows(`DELETE FROM totp_recovery_codes WHERE user_id = $1`, [userId]);
    await this.sql.rows(
      `INSERT INTO totp_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`,
      [userId, codeHashes],
    );
  }

  /** Turns the pending secret on, remembering the step of the code that confirmed it. */
  async enable(userId: string, step: number): Promise<void> {
    await this.sql.rows(
      `UPDATE users SET totp_enabled_at = now(), totp_last_step = $2
        WHERE id = $1 AND totp_secret IS NOT NULL AND totp_enabled_at IS NULL`,
      [userId, step],
    );
  }

  /**
   * Records `step` as the last accepted one, only if it is newer than the one stored: of two logins
   * racing with the same code, one wins. Whether this one did.
   */
  async acceptStep(userId: string, step: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE users SET totp_last_step = $2
        WHERE id = $1 AND totp_enabled_at IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)
        RETURNING id`,
      [userId, step],
    );
    return rows.length > 0;
  }

  /** Spends an unused recovery code of a user whose two-factor is on; whether there was one. */
  async spendRecoveryCode(userId: string, codeHash: Buffer): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE totp_recovery_codes c SET used_at = now()
         FROM users u
        WHERE c.user_id = $1 AND c.code_hash = $2 AND c.used_at IS NULL
          AND u.id = c.user_id AND u.totp_enabled_at IS NOT NULL
        RETURNING c.user_id`,
      [userId, codeHash],
    );
    return rows.length > 0;
  }

  /** Turns two-factor off and forgets the secret and every recovery code. */
  async clear(userId: string): Promise<void> {
    await this.sql.rows(
      `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1`,
      [userId],
    );
    await this.sql.rows(`DELETE FROM totp_recovery_codes WHERE user_id = $1`, [userId]);
  }
}
