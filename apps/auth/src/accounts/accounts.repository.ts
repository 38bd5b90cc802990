import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql } from '@chat/database';
import type { UserRecord } from '@chat/domain';

/** A user as logins see it: what is sent, and what decides whether they may log in. */
export interface Account extends UserRecord {
  /** Null for an account that signs in through the identity provider only. */
  passwordHash: string | null;
  bannedAt: Date | null;
}

export interface NewAccount {
  username: string;
  passwordHash: string;
  email: string | null;
  roles: readonly Role[];
}

const ACCOUNT_COLUMNS = `id, username, roles, created_at AS "createdAt", password_hash AS "passwordHash",
  banned_at AS "bannedAt", bot`;

/** Every statement about creating and reading accounts (moderation's are in moderation.repository.ts). */
@Injectable()
export class AccountsRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: AccountsRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new AccountsRepository(sql)));
  }

  /** Case-insensitive, as usernames are unique (the lower(username) index serves it). */
  findByUsername(username: string): Promise<Account | undefined> {
    return this.sql.one<Account>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE lower(username) = lower($1)`, [
      username,
    ]);
  }

  findById(id: string): Promise<Account | undefined> {
    return this.sql.one<Account>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  /**
   * Serializes first registrations until the transaction ends, so that whether any account exists
   * yet is still true when the new one is inserted: exactly one account becomes the first admin.
   */
  async lockFirstAdmin(): Promise<void> {
    await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtext('chat.users.first-admin'))`);
  }

  async anyAccount(): Promise<boolean> {
    const row = await this.sql.one<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS exists');
    return row!.exists;
  }

  /** The new account; undefined when the username is taken (in any case). */
  insert(account: NewAccount): Promise<Account | undefined> {
    // The only unique index a new user can hit is users_username_lower_key (ids are generated).
    // DO NOTHING rather than catching the violation: an error would abort the enclosing transaction.
    return this.sql.one<Account>(
      `INSERT INTO users (username, password_hash, email, roles) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
      [account.username, account.passwordHash, account.email, account.roles],
    );
  }

  /** Adds admin to the user's roles, after those they have; true when it was not there yet. */
  async grantAdmin(id: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE users SET roles = array_append(roles, 'admin') WHERE id = $1 AND NOT 'admin' = ANY(roles)
       RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }
}
