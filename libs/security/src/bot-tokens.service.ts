import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '@chat/platform';
import { BotTokenRepository } from './bot-token.repository';
import { hashBotToken } from './bot-token';

/**
 * How long a token's owner is trusted without asking the database. A revoked bot is also dropped at
 * once on the auth service's `user.banned` event; this bounds how late a missed event is noticed
 * (the contract allows 5 s).
 */
const TTL_MS = 3000;
/** Tokens remembered at most; a full cache starts over (a miss costs one indexed lookup). */
const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  userId: string | null;
}

/**
 * Bot token → bot user id, cached per replica for a few seconds so a busy bot does not cost a
 * query per request. Unknown tokens are cached too (a flood of forged ones costs one query each,
 * not one per retry). Concurrent lookups of one token share one statement.
 */
@Injectable()
export class BotTokens implements OnModuleInit {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string | null>>();
  /** Cache key of each bot's token, so a revocation event finds it. */
  private readonly keyOfUser = new Map<string, string>();

  constructor(
    private readonly repo: BotTokenRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    // Revoking a bot publishes user.banned (it ends sessions everywhere, as a ban does).
    this.bus.subscribe('user.banned', ({ userId }) => this.forgetUser(userId));
  }

  /** The id of the bot the token belongs to, or null. */
  async userIdFor(token: string): Promise<string | null> {
    const hash = hashBotToken(token);
    const key = hash.toString('base64');
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.userId;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.repo
        .userIdFor(hash)
        .then((found) => {
          this.remember(key, found ?? null);
          return found ?? null;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private remember(key: string, userId: string | null): void {
    if (this.cache.size >= MAX_ENTRIES) {
      this.cache.clear();
      this.keyOfUser.clear();
    }
    this.cache.set(key, { at: Date.now(), userId });
    if (userId) this.keyOfUser.set(userId, key);
  }

  private forgetUser(userId: string): void {
    const key = this.keyOfUser.get(userId);
    if (key === undefined) return;
    this.keyOfUser.delete(userId);
    this.cache.delete(key);
  }
}
