import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql, unseen, userBlockedSql } from '@chat/database';

export interface UserStatus {
  username: string;
  roles: Role[];
  /** Banned, or deactivated (a deleted account): either way its tokens are refused. */
  banned: boolean;
  /**
   * Sign-in settings require two-factor and this password account has not set it up yet: its
   * tokens reach only the set-up (issue #19; bots and single-sign-on accounts are exempt).
   */
  totpSetupRequired: boolean;
}

/** The name the status statement is prepared under on each connection. */
export const USER_STATUS_NAME = 'chat_user_status_v1';

/** The one statement every service runs about a token's user: are they still who the token says. */
@Injectable()
export class UserStatusRepository {
  constructor(private readonly sql: Sql) {}

  /** The current status of each of `userIds` that exists (one statement for a batch of handshakes). */
  async statusOfMany(userIds: readonly string[]): Promise<Map<string, UserStatus>> {
    // Prepared: every handshake and every few seconds' commands run it (see `unseen`).
    const rows = await this.sql.prepared<UserStatus & { id: string }>(
      USER_STATUS_NAME,
      // A deactivated (deleted) account is refused like a banned one, on every service.
      `SELECT id, username, roles, ${userBlockedSql()} AS banned,
              (totp_enabled_at IS NULL AND NOT bot AND password_hash IS NOT NULL
                 AND coalesce((SELECT require_totp FROM sign_in_settings), false)) AS "totpSetupRequired"
         FROM users WHERE id = ANY(${unseen('$1::uuid[]')})`,
      [userIds],
    );
    return new Map(rows.map(({ id, ...status }) => [id, status]));
  }
}
