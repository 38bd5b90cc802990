import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { LIMITS, type User } from '@chat/contracts';
import { escapeLike } from '../infra/sql';
import { toUserDto, type UserRow } from './user.mapper';

@Injectable()
export class UsersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Users whose name starts with `q` (case-insensitive), by name, at most 20; banned users are
   * left out (they cannot be messaged or added). Served by the lower(username) text_pattern_ops index.
   */
  async search(q: string | undefined): Promise<User[]> {
    const rows: UserRow[] = await this.db.query(
      `SELECT id, username, roles, created_at FROM users
        WHERE banned_at IS NULL AND lower(username) LIKE $1 ESCAPE '\\'
        ORDER BY lower(username) LIMIT ${LIMITS.userSearchMax}`,
      [`${escapeLike((q ?? '').trim().toLowerCase())}%`],
    );
    return rows.map(toUserDto);
  }
}
