import type Redis from 'ioredis';
import { RedisScript } from '../infra/redis-script';

/**
 * "User U is typing in channel C", shared by replicas: each `typing: true` stamps the state with a
 * token; the replica whose timer lapses reports `typing: false` only if its token is still the
 * current one (not renewed meanwhile through another replica).
 */
export interface TypingStore {
  /** Sets the state to `token` for `ttlMs`; true when the user was not typing before. */
  claim(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Clears the state; true when the user was typing. */
  clear(key: string): Promise<boolean>;
  /** Clears the state only if it still carries `token`; true when it did. */
  clearIfOwner(key: string, token: string): Promise<boolean>;
}

export class MemoryTypingStore implements TypingStore {
  private readonly state = new Map<string, { token: string; until: number }>();

  private current(key: string): string | null {
    const entry = this.state.get(key);
    if (!entry) return null;
    if (entry.until <= Date.now()) {
      this.state.delete(key);
      return null;
    }
    return entry.token;
  }

  claim(key: string, token: string, ttlMs: number): Promise<boolean> {
    const was = this.current(key);
    this.state.set(key, { token, until: Date.now() + ttlMs });
    return Promise.resolve(was === null);
  }

  clear(key: string): Promise<boolean> {
    const was = this.current(key);
    this.state.delete(key);
    return Promise.resolve(was !== null);
  }

  clearIfOwner(key: string, token: string): Promise<boolean> {
    if (this.current(key) !== token) return Promise.resolve(false);
    this.state.delete(key);
    return Promise.resolve(true);
  }
}

const CLEAR_IF_OWNER = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

export class RedisTypingStore implements TypingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private k(key: string): string {
    return `${this.prefix}:gateway:typing:${key}`;
  }

  async claim(key: string, token: string, ttlMs: number): Promise<boolean> {
    const previous = await this.redis.set(this.k(key), token, 'PX', ttlMs, 'GET');
    return previous === null;
  }

  async clear(key: string): Promise<boolean> {
    return (await this.redis.del(this.k(key))) > 0;
  }

  async clearIfOwner(key: string, token: string): Promise<boolean> {
    return (await CLEAR_IF_OWNER.run(this.redis, [this.k(key)], [token])) === 1;
  }
}
