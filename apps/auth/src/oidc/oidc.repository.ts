import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql } from '@chat/database';
import type { UserRecord } from '@chat/domain';

/** A user as single sign-on sees them: what is sent, and what decides whether they may sign in. */
export interface OidcAccount extends UserRecord {
  bannedAt: Date | null;
  deactivatedAt: Date | null;
}

/** A login under way: what the callback must check the provider's answer against. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string | null;
  expiresAt: Date;
}

export interface NewOidcAccount {
  username: string;
  /** Only an address the provider says it verified. */
  email: string | null;
  issuer: string;
  subject: string;
}

const ACCOUNT_COLUMNS = `id, username, roles, created_at AS "createdAt", bot, banned_at AS "bannedAt",
  deactivated_at AS "deactivatedAt"`;
const ADMIN_ROLES: readonly Role[] = ['admin', 'member'];

/** Every statement of single sign-on: logins under way, hand-off codes, linked accounts. */
@Injectable()
export class OidcRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: OidcRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new OidcRepository(sql)));
  }

  async savePendingLogin(login: PendingLogin): Promise<void> {
    // Abandoned logins go as new ones come: the table holds ten minutes of logins at most.
    await this.sql.rows(`DELETE FROM oidc_logins WHERE expires_at < now()`);
    await this.sql.rows(
      `INSERT INTO oidc_logins (state, nonce, code_verifier, return_to, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [login.state, login.nonce, login.codeVerifier, login.returnTo, login.expiresAt],
    );
  }

  /** Removes and returns the login with this state: a state is good for one callback only. */
  takePendingLogin(state: string): Promise<PendingLogin | undefined> {
    return this.sql.one<PendingLogin>(
      `DELETE FROM oidc_logins WHERE state = $1
       RETURNING state, nonce, code_verifier AS "codeVerifier", return_to AS "returnTo", expires_at AS "expiresAt"`,
      [state],
    );
  }

  findLinked(issuer: string, subject: string): Promise<OidcAccount | undefined> {
    return this.sql.one<OidcAccount>(
      `SELECT ${ACCOUNT_COLUMNS} FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2 AND oidc_subject IS NOT NULL`,
      [issuer, subject],
    );
  }

  findById(id: string): Promise<OidcAccount | undefined> {
    return this.sql.one<OidcAccount>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  /** Case-insensitive, as usernames are unique (the lower(username) index serves it). */
  async usernameTaken(username: string): Promise<boolean> {
    const row = await this.sql.one(`SELECT 1 FROM users WHERE lower(username) = lower($1)`, [username]);
    return row !== undefined;
  }

  /**
   * A new account linked to the provider's identity, without a password; the first account of an
   * empty system becomes admin, as with registration (same advisory lock). Undefined when the
   * username was taken meanwhile, or the identity got linked by a concurrent login.
   */
  insertLinked(account: NewOidcAccount): Promise<OidcAccount | undefined> {
    return this.transaction(async (tx) => {
      await tx.sql.rows(`SELECT pg_advisory_xact_lock(hashtext('chat.users.first-admin'))`);
      const first = !(await tx.sql.one(`SELECT 1 FROM users LIMIT 1`));
      // DO NOTHING rather than catching the violation (username or identity index): an error would
      // abort the transaction.
      return tx.sql.one<OidcAccount>(
        `INSERT INTO users (username, password_hash, email, email_verified_at, roles, oidc_issuer, oidc_subject)
         VALUES ($1, NULL, $2::varchar, CASE WHEN $2::varchar IS NULL THEN NULL ELSE now() END, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
        [account.username, account.email, first ? ADMIN_ROLES : ['member'], account.issuer, account.subject],
      );
    });
  }

  async saveHandoff(codeHash: Buffer, userId: string, expiresAt: Date): Promise<void> {
    await this.sql.rows(`DELETE FROM login_handoffs WHERE expires_at < now()`);
    await this.sql.rows(`INSERT INTO login_handoffs (code_hash, user_id, expires_at) VALUES ($1, $2, $3)`, [
      codeHash,
      userId,
      expiresAt,
    ]);
  }

  /** Removes the hand-off and returns its user while it is live: a code is good for one exchange. */
  async takeHandoff(codeHash: Buffer): Promise<string | undefined> {
    const row = await this.sql.one<{ userId: string; live: boolean }>(
      `DELETE FROM login_handoffs WHERE code_hash = $1 RETURNING user_id AS "userId", expires_at > now() AS live`,
      [codeHash],
    );
    return row?.live ? row.userId : undefined;
  }

  async touchLastSeen(userId: string): Promise<void> {
    await this.sql.rows(`UPDATE users SET last_seen_at = now() WHERE id = $1`, [userId]);
  }
}
