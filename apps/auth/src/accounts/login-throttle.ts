import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter, createRedis, type RedisClient } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AuthMetrics } from '../observability/auth-metrics';
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
  private readonly ssoStarts: RateLimiterAbstract;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthConfig,
    private readonly metrics: AuthMetrics,
  ) {
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
    // Starting single sign-on writes a pending login: bounded per address, generously (an office
    // behind one address signs in together in the morning), so a flood cannot fill the table.
    this.ssoStarts = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:sso:ip`,
      points: t.maxFailuresPerIp * 10,
      duration: t.windowSeconds,
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
    if (retryMs > 0) {
      this.metrics.loginFailed('throttled');
      throw AccountErrors.tooManyAttempts(retryMs);
    }
  }

  /** A successful login clears the user's failures and gives the address its attempt back. */
  async loginSucceeded(username: string, ip: string): Promise<void> {
    await Promise.all([this.perUser.delete(username.toLowerCase()), this.perIp.reward(ip, 1)]);
  }

  /**
   * Gives the attempt back when the password was right but the login stops for another reason
   * (the two-factor code is still to come, password sign-in is off for this account): not a guess.
   */
  async refundLoginAttempt(username: string, ip: string): Promise<void> {
    await Promise.all([this.perUser.reward(username.toLowerCase(), 1), this.perIp.reward(ip, 1)]);
  }

  async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.registrations.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw AccountErrors.tooManyAttempts(err.msBeforeNext);
      throw err;
    }
  }

  /** One single sign-on start from `ip`; 429 past LOGIN_MAX_FAILURES_PER_IP × 10 per window. */
  async consumeSsoStart(ip: string): Promise<void> {
    try {
      await this.ssoStarts.consume(ip);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw AccountErrors.tooManyAttempts(err.msBeforeNext);
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
