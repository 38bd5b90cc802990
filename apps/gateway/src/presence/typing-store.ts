import type { RedisClient } from '@chat/platform';
import { RedisScript } from '../infra/redis-script';

/**
 * "User U is typing in channel C", shared by replicas: each `typing: true` stamps the state with a
 * token; the replica whose timer lapses reports `typing: false` only if its token is still the
 * current one (not renewed meanwhile through another replica).
 *
 * At most `maxShown` users of a channel are shown typing at once: a claim beyond that is `hidden`
 * (nothing is pushed, no state is kept, so neither is a later `typing: false`), and the user's
 * next renewal (clients renew every ~3 s) takes a slot freed meanwhile. In a 10,000-member channel
 * every transition is a broadcast to everyone; this bounds them to a few typists.
 */
export interface TypingStore {
  /** Sets the state to `token` for `ttlMs`, if the user is shown or a slot is free. */
  claim(
    channelId: string,
    userId: string,
    token: string,
    ttlMs: number,
    maxShown: number,
  ): Promise<TypingClaim>;
  /** Clears the state; true when the user was shown typing. */
  clear(channelId: string, userId: string): Promise<boolean>;
  /** Clears the state only if it still carries `token`; true when it did. */
  clearIfOwner(channelId: string, userId: string, token: string): Promise<boolean>;
}

/** `started`: newly shown (push `typing: true`); `renewed`: already shown (silent); `hidden`: no slot free. */
export type TypingClaim = 'started' | 'renewed' | 'hidden';

export class MemoryTypingStore implements TypingStore {
  private readonly channels = new Map<string, Map<string, { token: string; until: number }>>();

  /** The channel's live states, lapsed ones dropped. */
  private live(channelId: string): Map<string, { token: string; until: number }> {
    const now = Date.now();
    const states = this.channels.get(channelId) ?? new Map<string, { token: string; until: number }>();
    for (const [userId, state] of states) if (state.until <= now) states.delete(userId);
    if (states.size === 0) this.channels.delete(channelId);
    return states;
  }

  claim(
    channelId: string,
    userId: string,
    token: string,
    ttlMs: number,
    maxShown: number,
  ): Promise<TypingClaim> {
    const states = this.live(channelId);
    const shown = states.has(userId);
    if (!shown && states.size >= maxShown) return Promise.resolve('hidden');
    states.set(userId, { token, until: Date.now() + ttlMs });
    this.channels.set(channelId, states);
    return Promise.resolve(shown ? 'renewed' : 'started');
  }

  clear(channelId: string, userId: string): Promise<boolean> {
    return Promise.resolve(this.live(channelId).delete(userId));
  }

  clearIfOwner(channelId: string, userId: string, token: string): Promise<boolean> {
    const states = this.live(channelId);
    if (states.get(userId)?.token !== token) return Promise.resolve(false);
    return Promise.resolve(states.delete(userId));
  }
}

// KEYS[1] the user's state (token), KEYS[2] the channel's shown typists (user id → until, ms).
// ARGV[1] token, ARGV[2] ttl ms, ARGV[3] now ms, ARGV[4] max shown, ARGV[5] user id.
// Returns 1 started, 0 renewed, -1 hidden.
const CLAIM = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
local shown = redis.call('GET', KEYS[1])
if not shown and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if shown then return 0 end
return 1`);

const CLEAR = new RedisScript(`
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`);

const CLEAR_IF_OWNER = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])`);

/** Both keys of a channel share its hash tag, so the scripts also run on a Redis Cluster. */
export class RedisTypingStore implements TypingStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private keys(channelId: string, userId: string): string[] {
    const base = `${this.prefix}:gateway:typing:{${channelId}}`;
    return [`${base}:${userId}`, `${base}:shown`];
  }

  async claim(
    channelId: string,
    userId: string,
    token: string,
    ttlMs: number,
    maxShown: number,
  ): Promise<TypingClaim> {
    const result = await CLAIM.run(this.redis, this.keys(channelId, userId), [
      token,
      ttlMs,
      Date.now(),
      maxShown,
      userId,
    ]);
    return result === 1 ? 'started' : result === 0 ? 'renewed' : 'hidden';
  }

  async clear(channelId: string, userId: string): Promise<boolean> {
    return (await CLEAR.run(this.redis, this.keys(channelId, userId), [userId])) === 1;
  }

  async clearIfOwner(channelId: string, userId: string, token: string): Promise<boolean> {
    return (await CLEAR_IF_OWNER.run(this.redis, this.keys(channelId, userId), [token, userId])) === 1;
  }
}
