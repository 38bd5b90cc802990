import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter, createRedis, type RedisClient } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { TwoFactorErrors } from './two-factor.errors';

/**
 * Wrong codes at enable and disable, per user, with the login throttle's budget
 * (LOGIN_MAX_FAILURES_PER_USER per LOGIN_WINDOW_SECONDS): a stolen session must not be a way to
 * guess codes faster than a login is. Codes at login count in LoginThrottle itself.
 */
@Injectable()
export class CodeThrottle implements OnModuleDestroy {
  private readonly redis?: RedisClient;
  private readonly perUser: RateLimiterAbstract;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    const { url, prefix } = config.redis;
    this.redis = url ? createRedis(url, 'auth-2fa-throttle') : undefined;
    this.perUser = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:2fa:user`,
      points: config.throttle.maxFailuresPerUser,
      duration: config.throttle.windowSeconds,
    });
  }

  /** Takes one attempt before the code is checked, so parallel guesses count as they arrive. */
  async begin(userId: string): Promise<void> {
    try {
      await this.perUser.consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw TwoFactorErrors.tooManyAttempts(err.msBeforeNext);
      throw err;
    }
  }

  /** A right code clears the user's failures. */
  async succeeded(userId: string): Promise<void> {
    await this.perUser.delete(userId);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
