import { Injectable } from '@nestjs/common';
import type { AccountStatus, Role } from '@chat/contracts';
import { escapeLike, Sql } from '@chat/database';

/** A user as the admin console lists them: no hash, secret or address is ever selected. */
export interface AdminUserRow {
  id: string;
  username: string;
  roles: Role[];
  createdAt: Date;
  bot: boolean;
  bannedAt: Date | null;
  deactivatedAt: Date | null;
  lastSeenAt: Date | null;
  totp: boolean;
  sso: boolean;
}

/** Which users a page holds: all of them filtered, by lower(username) then id, after the cursor. */
export interface UserFilter {
  /** The last user id of the page before. */
  after?: string;
  limit: number;
  /** Case-insensitive substring of the username, matched literally. */
  q?: string;
  status?: AccountStatus;
  role?: Role;
}

/** Every statement of the admin console's user list. */
@Injectable()
export class AdminUsersRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * One page and one row more (so the caller knows whether another page follows). Keyset paging on
   * (lower(username), id): a page costs the same wherever it is, and users added or removed between
   * pages neither repeat nor skip others. lower(username) is unique; id only makes the order total
   * on its own. A cursor naming no user matches nothing.
   */
  page(filter: UserFilter): Promise<AdminUserRow[]> {
    return this.sql.rows<AdminUserRow>(
      `SELECT id, username, roles, created_at AS "createdAt", bot, banned_at AS "bannedAt",
              deactivated_at AS "deactivatedAt", last_seen_at AS "lastSeenAt",
              totp_enabled_at IS NOT NULL AS totp, oidc_subject IS NOT NULL AS sso
         FROM users
        WHERE ($1::uuid IS NULL OR (lower(username), id) > (SELECT lower(username), id FROM users WHERE id = $1))
          AND ($2::text IS NULL OR lower(username) LIKE '%' || $2 || '%' ESCAPE '\\')
          AND ($3::text IS NULL
               OR ($3 = 'deactivated' AND deactivated_at IS NOT NULL)
               OR ($3 = 'banned' AND deactivated_at IS NULL AND banned_at IS NOT NULL)
               OR ($3 = 'active' AND deactivated_at IS NULL AND banned_at IS NULL))
          AND ($4::text IS NULL OR $4 = ANY(roles))
        ORDER BY lower(username), id
        LIMIT $5`,
      [
        filter.after ?? null,
        filter.q ? escapeLike(filter.q.toLowerCase()) : null,
        filter.status ?? null,
        filter.role ?? null,
        filter.limit + 1,
      ],
    );
  }
}
