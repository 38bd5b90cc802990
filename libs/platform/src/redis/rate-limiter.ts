import type { RedisClient } from './redis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
}

/**
 * A limiter counted in Redis when there is one, so every replica counts together. While Redis is
 * unreachable it counts in this process's memory at once (`rejectIfRedisNotReady`), instead of
 * holding the caller on ioredis's offline queue: an outage must not slow every request down.
 */
export function createRateLimiter(
  redis: RedisClient | null | undefined,
  opts: RateLimitOptions,
): RateLimiterAbstract {
  if (!redis) return new RateLimiterMemory(opts);
  return new RateLimiterRedis({
    storeClient: redis,
    ...opts,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(opts),
  });
}
