import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter, createRedis, type RedisClient } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AccountErrors } from './accounts.errors';

/**
 * Brute-force brakes: failed logins per username and per client address, and registrations per
 * address. In Redis when configured, so every auth replica counts together.
 */
@Injectable()
export class LoginThrottle implements OnModuleDestroy {
  private readonly redis?: RedisClient;
  private readonly perUser: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    const { url, prefix } = config.redis;
    this.redis = url ? createRedis(url, 'auth-throttle') : undefined;
    const t = config.throttle;
    this.perUser = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:login:user`,
      points: t.maxFailuresPerUser,
      duration: t.windowSeconds,
    });
    this.perIp = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:login:ip`,
      points: t.maxFailuresPerIp,
      duration: t.windowSeconds,
    });
    this.registrations = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:register:ip`,
      points: t.registerPerIpPerHour,
      duration: 3600,
    });
  }

  /**
   * Takes one attempt from both counters before the password is checked, so parallel guesses are
   * counted as they arrive (reading first and counting after argon2 let a burst through).
   * Refuses once either counter is exhausted.
   */
  async beginLoginAttempt(username: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([
      this.perUser.consume(username.toLowerCase()),
      this.perIp.consume(ip),
    ]);
    let retryMs = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      if (!(r.reason instanceof RateLimiterRes)) throw r.reason;
      retryMs = Math.max(retryMs, r.reason.msBeforeNext);
    }
    if (retryMs > 0) throw AccountErrors.tooManyAttempts(retryMs);
  }

  /** A successful login clears the user's failures and gives the address its attempt back. */
  async loginSucceeded(username: string, ip: string): Promise<void> {
    await Promise.all([this.perUser.delete(username.toLowerCase()), this.perIp.reward(ip, 1)]);
  }

  async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.registrations.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw AccountErrors.tooManyAttempts(err.msBeforeNext);
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
