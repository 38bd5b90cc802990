import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type DataLoader from 'dataloader';
import { EVENT_BUS, ExpiringCache, turnBatches, type DomainEvents, type EventBus } from '@chat/platform';
import { UserStatusRepository, type UserStatus } from './user-status.repository';

export type { UserStatus } from './user-status.repository';

/** How long a status is trusted without an event; bounds how late a missed event can be noticed. */
const TTL_MS = 3000;
/** Users looked up in one statement at most; a reconnect wave is many such batches. */
const BATCH_MAX = 500;
/** Statuses held at most (a replica's connected users, with room to spare). */
const MAX_ENTRIES = 50_000;

/**
 * Live ban and role state of users, so a ban or role change applies to tokens already issued.
 * Cached briefly and dropped at once on the auth service's events. Misses of the same event-loop
 * turn share one statement, so a thousand clients reconnecting after a deploy cost a few queries, not a thousand.
 */
@Injectable()
export class UserStatusService implements OnModuleInit {
  private readonly cache = new ExpiringCache<string, UserStatus | null>(TTL_MS, MAX_ENTRIES);
  private readonly loader: DataLoader<string, UserStatus | null>;

  constructor(
    private readonly users: UserStatusRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {
    // No cache of its own: the TTL cache above decides what is fresh.
    this.loader = turnBatches(
      async (ids: readonly string[]) => {
        const found = await this.users.statusOfMany(ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { maxBatchSize: BATCH_MAX },
    );
  }

  onModuleInit(): void {
    const forget = ({ userId }: { userId: string }) => this.forget(userId);
    this.bus.subscribe('user.banned', forget);
    this.bus.subscribe('user.unbanned', forget);
    this.bus.subscribe('user.roles_changed', forget);
  }

  /**
   * A change made here to a user's ban or role state: this replica forgets the user at once, so
   * its next check reads the change (the bus's own delivery comes back a moment later, after the
   * caller may already have answered), and every service hears of it through the bus.
   */
  async announce<T extends 'user.banned' | 'user.unbanned' | 'user.roles_changed'>(
    topic: T,
    payload: DomainEvents[T],
  ): Promise<void> {
    this.forget(payload.userId);
    await this.bus.publish(topic, payload);
  }

  /** Drops what this replica knows of the user (it changed here: the next check reads it again). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** Drops every status (a setting they all depend on changed here). */
  forgetAll(): void {
    this.cache.clear();
  }

  /**
   * The user's current status, or null when no such user exists. A read that a forget overtook
   * answers its callers but is not kept: it may predate the ban or role change (ExpiringCache).
   */
  async get(userId: string): Promise<UserStatus | null> {
    const hit = this.cache.get(userId);
    if (hit !== undefined) return hit;
    const revision = this.cache.revision();
    const status = await this.loader.load(userId);
    this.cache.setUnlessRevokedSince(userId, status, revision);
    return status;
  }

  /** How many statuses are held: the fresh ones, and stale ones only until the next read. */
  get size(): number {
    return this.cache.size;
  }
}
