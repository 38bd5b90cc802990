import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql } from '@chat/database';
import type { UserRecord } from '@chat/domain';

/** A user as moderation judges them: their roles, and whether they are banned already. */
export interface ModeratedUser extends UserRecord {
  roles: Role[];
  bannedAt: Date | null;
}

const USER_COLUMNS = `id, username, roles, created_at AS "createdAt", banned_at AS "bannedAt", bot`;

/** Every statement about roles and bans. */
@Injectable()
export class ModerationRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction; `sql` is that transaction, for its audit entry. */
  transaction<T>(fn: (tx: ModerationRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new ModerationRepository(sql), sql));
  }

  /** The user, locked until the transaction ends so two decisions about them take turns. */
  lockUser(id: string): Promise<ModeratedUser | undefined> {
    return this.sql.one<ModeratedUser>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id]);
  }

  /** Admins who can still act (not banned). */
  async activeAdminCount(): Promise<number> {
    const row = await this.sql.one<{ count: number }>(
      `SELECT count(*)::int AS count FROM users WHERE 'admin' = ANY(roles) AND banned_at IS NULL`,
    );
    return row!.count;
  }

  async setRoles(id: string, roles: readonly Role[]): Promise<ModeratedUser | undefined> {
    return this.sql.one<ModeratedUser>(
      `UPDATE users SET roles = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id, roles],
    );
  }

  /**
   * Bans the user (keeping the time of a ban already in place) and revokes every live session of
   * theirs, together: a banned user's refresh tokens must stop working the moment the ban commits.
   */
  async ban(id: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.rows(`UPDATE users SET banned_at = now() WHERE id = $1 AND banned_at IS NULL`, [id]);
      await tx.rows(
        `UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
        [id],
      );
    });
  }

  async unban(id: string): Promise<void> {
    await this.sql.rows(`UPDATE users SET banned_at = NULL WHERE id = $1`, [id]);
  }
}
