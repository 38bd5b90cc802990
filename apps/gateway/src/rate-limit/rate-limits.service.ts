import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayRedis } from '../infra/gateway-redis';
import { RateLimitErrors } from './rate-limit.errors';

/**
 * Per-user budgets: socket commands per second and REST calls per minute. Counted in Redis when
 * configured, so a user spread over several replicas (tabs, devices) is limited as one.
 */
@Injectable()
export class RateLimits {
  private readonly commands: RateLimiterAbstract;
  private readonly http: RateLimiterAbstract;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, redis: GatewayRedis) {
    this.commands = createRateLimiter(redis.client, {
      keyPrefix: `${redis.prefix}:gateway:rl:cmd`,
      points: config.rateLimit.commandsPerSecond,
      duration: 1,
    });
    this.http = createRateLimiter(redis.client, {
      keyPrefix: `${redis.prefix}:gateway:rl:http`,
      points: config.rateLimit.httpPerMinute,
      duration: 60,
    });
  }

  /** Spends one socket command of `key`'s budget; throws RATE_LIMITED when it is spent. */
  consumeCommand(key: string): Promise<void> {
    return consume(this.commands, key);
  }

  /** Spends one REST call of `key`'s budget; throws RATE_LIMITED when it is spent. */
  consumeHttp(key: string): Promise<void> {
    return consume(this.http, key);
  }
}

async function consume(limiterOf: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiterOf.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw RateLimitErrors.tooMany(err.msBeforeNext);
    throw err;
  }
}
