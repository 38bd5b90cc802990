import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Message } from '@chat/contracts';
import { AppError, createRateLimiter } from '@chat/platform';
import { BOT_TOKEN_EXP, type Principal } from '@chat/security';
import { isArchivedRefusal } from '../channels/channels.errors';
import { GatewayRedis } from '../infra/gateway-redis';
import { MessagesService } from '../messages/messages.service';
import { RateLimitErrors } from '../rate-limit/rate-limit.errors';
import { HOOK_POSTS_PER_MINUTE, secretMatches } from './webhook-secrets';
import { WebhookErrors } from './webhooks.errors';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Posts to an incoming webhook's URL (`POST /hooks/:id/:secret`): no account, the secret in the
 * URL is the credential. The webhook is read from the database on every post, so a deleted one
 * answers 404 at once on every replica.
 */
@Injectable()
export class IncomingHooksService {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly messages: MessagesService,
    redis: GatewayRedis,
  ) {
    // Per webhook, counted across replicas: a runaway script is limited, not the channel's people.
    this.limiter = createRateLimiter(redis.client, {
      keyPrefix: `${redis.prefix}:gateway:rl:hook`,
      points: HOOK_POSTS_PER_MINUTE,
      duration: 60,
    });
  }

  /** The message, sent as the webhook's account like any member's. */
  async post(id: string, secret: string, text: string): Promise<Message> {
    // Unknown, malformed or wrong: one answer, and the comparison costs the same whether the
    // webhook exists or not (so its timing does not tell a real id from a made-up one).
    const hook = isUUID(id) ? await this.webhooks.incoming(id.toLowerCase()) : undefined;
    if (!secretMatches(secret, hook?.secretHash ?? null) || !hook) throw WebhookErrors.hookNotFound();
    if (hook.banned) throw WebhookErrors.cannotPost();
    const body = text.trim();
    if (body.length === 0) throw WebhookErrors.blankText();
    await this.spend(hook.id);
    const author: Principal = {
      id: hook.userId,
      username: hook.username,
      roles: hook.roles,
      exp: BOT_TOKEN_EXP,
      bot: true,
    };
    try {
      return await this.messages.send(author, hook.channelId, { body });
    } catch (err) {
      // The channel is read-only: its members see the same refusal.
      if (isArchivedRefusal(err)) throw err;
      // Its account was removed from the channel: a refusal about the webhook, not "join first".
      if (err instanceof AppError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND'))
        throw WebhookErrors.cannotPost();
      throw err;
    }
  }

  private async spend(hookId: string): Promise<void> {
    try {
      await this.limiter.consume(hookId);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw RateLimitErrors.tooMany(err.msBeforeNext);
      throw err;
    }
  }
}
