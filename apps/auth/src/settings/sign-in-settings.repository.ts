import { Injectable } from '@nestjs/common';
import type { SignInSettings } from '@chat/contracts';
import { Sql } from '@chat/database';

const COLUMNS = `password_login AS "passwordLogin", oidc_create_accounts AS "oidcCreateAccounts",
                 require_totp AS "requireTotp"`;

/** Every statement about the one row of sign-in settings. */
@Injectable()
export class SignInSettingsRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: SignInSettingsRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new SignInSettingsRepository(sql), sql));
  }

  async get(): Promise<SignInSettings> {
    return (await this.sql.one<SignInSettings>(`SELECT ${COLUMNS} FROM sign_in_settings`))!;
  }

  /** The settings, locked until the transaction ends so two admins' changes take turns. */
  async lock(): Promise<SignInSettings> {
    return (await this.sql.one<SignInSettings>(`SELECT ${COLUMNS} FROM sign_in_settings FOR UPDATE`))!;
  }

  /**
   * Whether two-factor being required would leave `userId` out: a password account without it
   * (single sign-on accounts and bots are never asked for it).
   */
  async lacksRequiredTotp(userId: string): Promise<boolean> {
    const row = await this.sql.one<{ lacks: boolean }>(
      `SELECT (totp_enabled_at IS NULL AND NOT bot AND password_hash IS NOT NULL) AS lacks
         FROM users WHERE id = $1`,
      [userId],
    );
    return row?.lacks ?? false;
  }

  async update(patch: Partial<SignInSettings>, actorId: string): Promise<SignInSettings> {
    return (await this.sql.one<SignInSettings>(
      `UPDATE sign_in_settings
          SET password_login = coalesce($1, password_login),
              oidc_create_accounts = coalesce($2, oidc_create_accounts),
              require_totp = coalesce($3, require_totp),
              updated_at = now(), updated_by = $4
        RETURNING ${COLUMNS}`,
      [patch.passwordLogin ?? null, patch.oidcCreateAccounts ?? null, patch.requireTotp ?? null, actorId],
    ))!;
  }
}
