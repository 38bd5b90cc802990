import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql, userActiveSql } from '@chat/database';
import type { UserRecord } from '@chat/domain';

/** Every statement of the gateway about users (accounts themselves are the auth service's). */
@Injectable()
export class UsersRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Users not banned whose lower-cased name matches the LIKE `pattern`, by name. Served by the
   * lower(username) text_pattern_ops index.
   */
  searchActive(pattern: string, limit: number): Promise<UserRecord[]> {
    return this.sql.rows<{ id: string; username: string; roles: Role[]; createdAt: Date; bot: boolean }>(
      `SELECT id, username, roles, created_at AS "createdAt", bot FROM users
        WHERE ${userActiveSql()} AND lower(username) LIKE $1 ESCAPE '\\'
        ORDER BY lower(username) LIMIT $2`,
      [pattern, limit],
    );
  }

  /** Those of `ids` that exist and are neither banned nor deleted. */
  async activeIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT id FROM users WHERE id = ANY($1::uuid[]) AND ${userActiveSql()}`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async username(id: string): Promise<string | null> {
    const row = await this.sql.one<{ username: string }>('SELECT username FROM users WHERE id = $1', [id]);
    return row?.username ?? null;
  }
}
