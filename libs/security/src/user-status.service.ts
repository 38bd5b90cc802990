import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Role } from '@chat/contracts';
import { EVENT_BUS, type EventBus } from '@chat/platform';

export interface UserStatus {
  username: string;
  roles: Role[];
  banned: boolean;
}

/** How long a status is trusted without an event; bounds how late a missed event can be noticed. */
const TTL_MS = 3000;

/**
 * Live ban and role state of users, so a ban or role change applies to tokens already issued.
 * Cached briefly and dropped at once on the auth service's events.
 */
@Injectable()
export class UserStatusService implements OnModuleInit {
  private readonly cache = new Map<string, { at: number; status: UserStatus | null }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    const forget = ({ userId }: { userId: string }) => void this.cache.delete(userId);
    this.bus.subscribe('user.banned', forget);
    this.bus.subscribe('user.unbanned', forget);
    this.bus.subscribe('user.roles_changed', forget);
  }

  /** The user's current status, or null when no such user exists. */
  async get(userId: string): Promise<UserStatus | null> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.status;
    const rows: { username: string; roles: Role[]; banned_at: Date | null }[] = await this.db.query(
      'SELECT username, roles, banned_at FROM users WHERE id = $1',
      [userId],
    );
    const status = rows[0]
      ? { username: rows[0].username, roles: rows[0].roles, banned: rows[0].banned_at !== null }
      : null;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(userId, { at: Date.now(), status });
    return status;
  }
}
