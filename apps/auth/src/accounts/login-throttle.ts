import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError, createRedis } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';

function limiter(
  redis: Redis | undefined,
  opts: { keyPrefix: string; points: number; duration: number },
): RateLimiterAbstract {
  return redis
    ? new RateLimiterRedis({ storeClient: redis, ...opts, insuranceLimiter: new RateLimiterMemory(opts) })
    : new RateLimiterMemory(opts);
}

function tooMany(retryMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryMs / 1000));
  return new AppError('RATE_LIMITED', `Too many attempts, retry in ${seconds} s`, {
    'Retry-After': String(seconds),
  });
}

/**
 * Brute-force brakes: failed logins per username and per client address, and registrations per
 * address. In Redis when configured, so every auth replica counts together.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  private readonly redis?: Redis;
  private readonly perUser: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    const { url, prefix } = config.redis;
    this.redis = url ? createRedis(url, 'auth-throttle') : undefined;
    const t = config.throttle;
    this.perUser = limiter(this.redis, {
      keyPrefix: `${prefix}:login:user`,
      points: t.maxFailuresPerUser,
      duration: t.windowSeconds,
    });
    this.perIp = limiter(this.redis, {
      keyPrefix: `${prefix}:login:ip`,
      points: t.maxFailuresPerIp,
      duration: t.windowSeconds,
    });
    this.registrations = limiter(this.redis, {
      keyPrefix: `${prefix}:register:ip`,
      points: t.registerPerIpPerHour,
      duration: 3600,
    });
  }

  /** Refuses a login attempt once either counter is exhausted. */
  async assertLoginAllowed(username: string, ip: string): Promise<void> {
    const [u, i] = await Promise.all([this.perUser.get(username.toLowerCase()), this.perIp.get(ip)]);
    for (const [res, max] of [
      [u, this.perUser.points],
      [i, this.perIp.points],
    ] as const) {
      if (res && res.consumedPoints >= max) throw tooMany(res.msBeforeNext);
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    await Promise.all([this.perUser.penalty(username.toLowerCase(), 1), this.perIp.penalty(ip, 1)]);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.perUser.delete(username.toLowerCase());
  }

  async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.registrations.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext);
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
