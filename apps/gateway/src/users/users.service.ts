import { Injectable } from '@nestjs/common';
import { LIMITS, type User } from '@chat/contracts';
import { escapeLike } from '@chat/database';
import { toUserDto } from '@chat/domain';
import { UsersRepository } from './users.repository';

/** Users as the gateway needs them: finding people, and who may still be messaged or added. */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /**
   * Users whose name starts with `q` (case-insensitive), by name, at most 20; banned users are
   * left out (they cannot be messaged or added).
   */
  async search(q: string | undefined): Promise<User[]> {
    const pattern = `${escapeLike((q ?? '').trim().toLowerCase())}%`;
    return (await this.users.searchActive(pattern, LIMITS.userSearchMax)).map(toUserDto);
  }

  /** The rule "exists and is not banned": who can be added to a channel, get a DM, keep a socket. */
  async isActive(userId: string): Promise<boolean> {
    return (await this.users.activeIds([userId])).has(userId);
  }

  /** Those of `userIds` that exist and are not banned (see isActive). */
  activeIds(userIds: readonly string[]): Promise<Set<string>> {
    return this.users.activeIds(userIds);
  }

  /** The user's name, or null when there is no such user. */
  username(userId: string): Promise<string | null> {
    return this.users.username(userId);
  }
}
