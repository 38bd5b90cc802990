import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { createRateLimiter } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayRedis } from '../infra/gateway-redis';
import { LocalAllowance } from './local-allowance';
import { RateLimitErrors } from './rate-limit.errors';

/**
 * Per-user budgets: socket commands per second and REST calls per minute. Counted in Redis when
 * configured, so a user spread over several replicas (tabs, devices) is limited as one. A user far
 * below the command budget is not counted in Redis for every command (LocalAllowance: at most a
 * tenth of the budget per replica and second goes uncounted; docs/socket-protocol.md "Limits").
 */
@Injectable()
export class RateLimits {
  private readonly commands: RateLimiterAbstract;
  private readonly http: RateLimiterAbstract;
  private readonly commandAllowance: LocalAllowance;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, redis: GatewayRedis) {
    this.commands = createRateLimiter(redis.client, {
      keyPrefix: `${redis.prefix}:gateway:rl:cmd`,
      points: config.rateLimit.commandsPerSecond,
      duration: 1,
    });
    this.commandAllowance = LocalAllowance.forBudget(config.rateLimit.commandsPerSecond, 1000);
    this.http = createRateLimiter(redis.client, {
      keyPrefix: `${redis.prefix}:gateway:rl:http`,
      points: config.rateLimit.httpPerMinute,
      duration: 60,
    });
  }

  /**
   * Spends one socket command of `key`'s budget; throws RATE_LIMITED when it is spent. Resolved at
   * once, without Redis, while the key is within this replica's local allowance.
   */
  consumeCommand(key: string): Promise<void> {
    const points = this.commandAllowance.take(key, Date.now());
    return points === 0 ? SPENT : consume(this.commands, key, points);
  }

  /** Spends one REST call of `key`'s budget; throws RATE_LIMITED when it is spent. */
  consumeHttp(key: string): Promise<void> {
    return consume(this.http, key);
  }
}

const SPENT = Promise.resolve();

async function consume(limiterOf: RateLimiterAbstract, key: string, points = 1): Promise<void> {
  try {
    await limiterOf.consume(key, points);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw RateLimitErrors.tooMany(err.msBeforeNext);
    throw err;
  }
}
