import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EVENT_BUS, ExpiringCache, type EventBus } from '@chat/platform';
import { BotTokenRepository } from './bot-token.repository';
import { hashBotToken } from './bot-token';

/**
 * How long a token's owner is trusted without asking the database. A revoked bot is also dropped at
 * once on the auth service's `user.banned` event; this bounds how late a missed event is noticed
 * (the contract allows 5 s).
 */
const TTL_MS = 3000;
/** Tokens remembered at most; a full cache drops its oldest (a miss costs one indexed lookup). */
const MAX_ENTRIES = 10_000;

/**
 * Bot token → bot user id, cached per replica for a few seconds so a busy bot does not cost a
 * query per request. Unknown tokens are cached too (a flood of forged ones costs one query each,
 * not one per retry). Concurrent lookups of one token share one statement.
 */
@Injectable()
export class BotTokens implements OnModuleInit {
  /** Token hash (base64) → the bot's id, or null for a token no bot holds. */
  private readonly cache = new ExpiringCache<string, string | null>(TTL_MS, MAX_ENTRIES);
  private readonly inFlight = new Map<string, Promise<string | null>>();

  constructor(
    private readonly repo: BotTokenRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    // Revoking a bot publishes user.banned (it ends sessions everywhere, as a ban does).
    // Rare, and the cache is bounded: a scan finds every token of the bot.
    this.bus.subscribe('user.banned', ({ userId }) => this.cache.deleteWhere((owner) => owner === userId));
  }

  /** The id of the bot the token belongs to, or null. */
  async userIdFor(token: string): Promise<string | null> {
    const hash = hashBotToken(token);
    const key = hash.toString('base64');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let pending = this.inFlight.get(key);
    if (!pending) {
      // A revocation that overtakes the lookup leaves its answer uncached (ExpiringCache).
      const revision = this.cache.revision();
      pending = this.repo
        .userIdFor(hash)
        .then((found) => {
          this.cache.setUnlessRevokedSince(key, found ?? null, revision);
          return found ?? null;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
