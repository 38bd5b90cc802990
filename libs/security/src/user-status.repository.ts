import { Injectable } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { Sql } from '@chat/database';

export interface UserStatus {
  username: string;
  roles: Role[];
  banned: boolean;
}

/** The one statement every service runs about a token's user: are they still who the token says. */
@Injectable()
export class UserStatusRepository {
  constructor(private readonly sql: Sql) {}

  /** The user's current status, or null when no such user exists. */
  async statusOf(userId: string): Promise<UserStatus | null> {
    const row = await this.sql.one<{ username: string; roles: Role[]; banned: boolean }>(
      'SELECT username, roles, banned_at IS NOT NULL AS banned FROM users WHERE id = $1',
      [userId],
    );
    return row ?? null;
  }
}
