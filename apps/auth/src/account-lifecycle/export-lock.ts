import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createRedis, type RedisClient } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';

/** How long a lock outlives a replica that died mid-export; renewed while the export runs. */
const LEASE_MS = 60_000;
const RENEW_MS = 20_000;

/** Deletes the key only while it still holds this holder's token (a lapsed lease may be someone else's). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** A held export lock: `release()` once the export ends, however it ends. */
export interface ExportLease {
  release(): Promise<void>;
}

/**
 * One export at a time per user, across every auth replica (in Redis when configured; in this
 * process otherwise). An export is a long read: two at once would only double the load.
 */
@Injectable()
export class ExportLock implements OnModuleDestroy {
  private readonly redis?: RedisClient;
  private readonly prefix: string;
  private readonly local = new Set<string>();

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    this.redis = config.redis.url ? createRedis(config.redis.url, 'auth-export-lock') : undefined;
    this.prefix = `${config.redis.prefix}:export:`;
  }

  /** The lease, or null when an export of this user is already running. */
  async acquire(userId: string): Promise<ExportLease | null> {
    const redis = this.redis;
    if (!redis) {
      if (this.local.has(userId)) return null;
      this.local.add(userId);
      return { release: () => Promise.resolve(void this.local.delete(userId)) };
    }
    const key = this.prefix + userId;
    const token = randomBytes(16).toString('hex');
    if ((await redis.set(key, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return null;
    const renew = setInterval(() => {
      redis.set(key, token, 'PX', LEASE_MS, 'XX').catch(() => undefined);
    }, RENEW_MS);
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
