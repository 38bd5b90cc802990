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

  /** The current status of each of `userIds` that exists (one statement for a batch of handshakes). */
  async statusOfMany(userIds: readonly string[]): Promise<Map<string, UserStatus>> {
    const rows = await this.sql.rows<UserStatus & { id: string }>(
      'SELECT id, username, roles, banned_at IS NOT NULL AS banned FROM users WHERE id = ANY($1::uuid[])',
      [userIds],
    );
    return new Map(rows.map(({ id, ...status }) => [id, status]));
  }
}
