import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter, createRedis, type RedisClient } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { EmailErrors } from './email.errors';

/**
 * Verification emails per user per hour. Each one goes to an address the caller typed: without a
 * brake, an account could make the service mail-bomb a stranger (and burn its sender reputation).
 */
export const VERIFY_SENDS_PER_HOUR = 5;

/** Counts verification emails per user, in Redis when configured so every auth replica counts together. */
@Injectable()
export class VerificationThrottle implements OnModuleDestroy {
  private readonly redis?: RedisClient;
  private readonly sends: RateLimiterAbstract;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    const { url, prefix } = config.redis;
    this.redis = url ? createRedis(url, 'auth-email-throttle') : undefined;
    this.sends = createRateLimiter(this.redis, {
      keyPrefix: `${prefix}:email:verify`,
      points: VERIFY_SENDS_PER_HOUR,
      duration: 3600,
    });
  }

  /** Takes one send from the user's hourly allowance; RATE_LIMITED once it is spent. */
  async consume(userId: string): Promise<void> {
    try {
      await this.sends.consume(userId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw EmailErrors.tooManySends(err.msBeforeNext);
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
