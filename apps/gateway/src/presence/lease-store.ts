import type { RedisClient } from '@chat/platform';
import { RedisScript } from '../infra/redis-script';

export interface Lease {
  userId: string;
  socketId: string;
}

/** A lease and when it is to lapse unless renewed. */
export interface LeaseUntil extends Lease {
  expiresAt: number;
}

/**
 * Presence as per-socket leases: a user is online while any of their sockets, on any replica,
 * holds a lease that has not lapsed. Replicas renew the leases of their sockets; a crashed
 * replica's leases lapse and whichever replica sweeps them first reports the user offline.
 * Each transition (first live lease, last live lease gone) is reported by exactly one caller.
 */
export interface LeaseStore {
  /**
   * Takes or renews leases until `expiresAt` (connects, batched per tick, and renewals); the users
   * who had no live lease before, once each.
   */
  acquireMany(leases: Lease[], expiresAt: number, now: number): Promise<string[]>;
  /**
   * Drops leases (sockets whose grace is over, lapsed leases swept); the users this left with no
   * live lease (they went offline), once each.
   */
  releaseMany(leases: readonly Lease[], now: number): Promise<string[]>;
  /**
   * Lets leases lapse at their `expiresAt` unless renewed (closed sockets in their grace, a replica
   * draining for shutdown); a lease no longer held is left alone.
   */
  shortenMany(leases: readonly LeaseUntil[]): Promise<void>;
  /** Leases that lapsed before `now`, at most `limit`. */
  lapsed(now: number, limit: number): Promise<Lease[]>;
  /** Which of `userIds` hold a live lease. */
  online(userIds: string[], now: number): Promise<Set<string>>;
}

/** Single-process mode. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly users = new Map<string, Map<string, number>>();

  private live(userId: string, now: number): number {
    let n = 0;
    for (const expiresAt of this.users.get(userId)?.values() ?? []) if (expiresAt > now) n++;
    return n;
  }

  acquireMany(leases: Lease[], expiresAt: number, now: number): Promise<string[]> {
    const came: string[] = [];
    for (const { userId, socketId } of leases) {
      if (this.live(userId, now) === 0) came.push(userId);
      const held = this.users.get(userId) ?? new Map<string, number>();
      held.set(socketId, expiresAt);
      this.users.set(userId, held);
    }
    return Promise.resolve(came);
  }

  releaseMany(leases: readonly Lease[], now: number): Promise<string[]> {
    const gone: string[] = [];
    for (const { userId, socketId } of leases) {
      if (!this.users.get(userId)?.delete(socketId) || this.live(userId, now) > 0) continue;
      // Offline now: lapsed leftovers must not report it a second time when swept.
      this.users.delete(userId);
      gone.push(userId);
    }
    return Promise.resolve(gone);
  }

  shortenMany(leases: readonly LeaseUntil[]): Promise<void> {
    for (const { userId, socketId, expiresAt } of leases) {
      const held = this.users.get(userId);
      if (held?.has(socketId)) held.set(socketId, expiresAt);
    }
    return Promise.resolve();
  }

  lapsed(now: number, limit: number): Promise<Lease[]> {
    const found: Lease[] = [];
    for (const [userId, leases] of this.users) {
      for (const [socketId, expiresAt] of leases) {
        if (expiresAt <= now) found.push({ userId, socketId });
        if (found.length >= limit) return Promise.resolve(found);
      }
    }
    return Promise.resolve(found);
  }

  online(userIds: string[], now: number): Promise<Set<string>> {
    return Promise.resolve(new Set(userIds.filter((id) => this.live(id, now) > 0)));
  }
}

// Takes or renews many leases in one call: KEYS[1] all leases ("user|socket" → expiry), KEYS[1 + i]
// lease i's user key (socket id → expiry);
// ARGV[1] expiresAt, ARGV[2] now, ARGV[3] user key TTL, then socketId, userId per lease. Returns the
// users who had no live lease before (once each, even with several sockets in the call).
const ACQUIRE_MANY = new RedisScript(`
local came = {}
for i = 2, #KEYS do
  local sid, uid = ARGV[2 * i], ARGV[2 * i + 1]
  local live = redis.call('ZCOUNT', KEYS[i], '(' .. ARGV[2], '+inf')
  redis.call('ZADD', KEYS[i], ARGV[1], sid)
  redis.call('ZADD', KEYS[1], ARGV[1], uid .. '|' .. sid)
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
  if live == 0 then came[#came + 1] = uid end
end
return came`);

/**
 * Leases per ACQUIRE_MANY call: a renewal of 5,000 sockets is 20 calls of ≈ 1,000 commands each, so
 * Redis serves other clients (rate limits, publishes) between them. One call per lease was 5,000
 * calls' worth of gateway and Redis work every renewal, in the way of sends: the benchmark's many
 * rooms (2,500 sockets per replica) had a p99 of 295 ms with it, 74 ms without.
 */
const RENEW_CHUNK = 250;

// Drops many leases in one call: KEYS[1] all leases, KEYS[1 + i] lease i's user key; ARGV[1] now,
// then socketId, userId per lease. Returns the users left with no live lease (their user key is
// removed, with the lapsed leftovers, so a second lease of theirs in the call reports nothing).
const RELEASE_MANY = new RedisScript(`
local gone = {}
for i = 2, #KEYS do
  local sid, uid = ARGV[2 * i - 2], ARGV[2 * i - 1]
  redis.call('ZREM', KEYS[1], uid .. '|' .. sid)
  if redis.call('ZREM', KEYS[i], sid) == 1 and redis.call('ZCOUNT', KEYS[i], '(' .. ARGV[1], '+inf') == 0 then
    for _, other in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
      redis.call('ZREM', KEYS[1], uid .. '|' .. other)
    end
    redis.call('DEL', KEYS[i])
    gone[#gone + 1] = uid
  end
end
return gone`);

// Shortens many leases: KEYS[1] all leases, KEYS[1 + i] lease i's user key; ARGV socketId, userId,
// expiresAt per lease. Only leases still held are changed (XX).
const SHORTEN_MANY = new RedisScript(`
for i = 2, #KEYS do
  local sid, uid, at = ARGV[3 * i - 5], ARGV[3 * i - 4], ARGV[3 * i - 3]
  redis.call('ZADD', KEYS[i], 'XX', at, sid)
  redis.call('ZADD', KEYS[1], 'XX', at, uid .. '|' .. sid)
end
return 0`);

// Which of KEYS (user keys) hold a live lease at ARGV[1]: their 1-based positions. One command
// instead of a pipeline of ZCOUNTs: `presence:subscribe` asks about ~20 users on every connect, and
// each pipelined command costs the gateway as much as the script does in all.
const ONLINE = new RedisScript(`
local live = {}
for i = 1, #KEYS do
  if redis.call('ZCOUNT', KEYS[i], '(' .. ARGV[1], '+inf') > 0 then live[#live + 1] = i end
end
return live`);

/** Per-user key lifetime: far beyond any lease, so only a sweep (which reports it) removes one. */
const USER_KEY_TTL_MS = 24 * 3600 * 1000;

/** Several replicas (REDIS_URL set). All keys share a hash tag, so the scripts also run on a cluster. */
export class RedisLeaseStore implements LeaseStore {
  private readonly allKey: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.allKey = `${prefix}:gateway:{presence}:leases`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}:gateway:{presence}:user:${userId}`;
  }

  /**
   * One script per RENEW_CHUNK leases, all sent at once: `args` are the script's arguments before
   * the leases', `perLease` each lease's own. Returns each call's answer.
   */
  private async inChunks<L extends Lease, R>(
    script: RedisScript,
    leases: readonly L[],
    args: (string | number)[],
    perLease: (lease: L) => (string | number)[],
  ): Promise<R[]> {
    const calls: Promise<R>[] = [];
    for (let i = 0; i < leases.length; i += RENEW_CHUNK) {
      const chunk = leases.slice(i, i + RENEW_CHUNK);
      const keys = [this.allKey, ...chunk.map((l) => this.userKey(l.userId))];
      calls.push(script.run(this.redis, keys, [...args, ...chunk.flatMap(perLease)]) as Promise<R>);
    }
    return Promise.all(calls);
  }

  async acquireMany(leases: Lease[], expiresAt: number, now: number): Promise<string[]> {
    const came = await this.inChunks<Lease, string[]>(
      ACQUIRE_MANY,
      leases,
      [expiresAt, now, USER_KEY_TTL_MS],
      (l) => [l.socketId, l.userId],
    );
    return came.flat();
  }

  async releaseMany(leases: readonly Lease[], now: number): Promise<string[]> {
    const gone = await this.inChunks<Lease, string[]>(RELEASE_MANY, leases, [now], (l) => [
      l.socketId,
      l.userId,
    ]);
    return gone.flat();
  }

  async shortenMany(leases: readonly LeaseUntil[]): Promise<void> {
    await this.inChunks(SHORTEN_MANY, leases, [], (l) => [l.socketId, l.userId, l.expiresAt]);
  }

  async lapsed(now: number, limit: number): Promise<Lease[]> {
    const members = await this.redis.zrangebyscore(this.allKey, '-inf', now, 'LIMIT', 0, limit);
    return members.flatMap((member) => {
      const at = member.indexOf('|');
      return at > 0 ? [{ userId: member.slice(0, at), socketId: member.slice(at + 1) }] : [];
    });
  }

  async online(userIds: string[], now: number): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const found = new Set<string>();
    for (let i = 0; i < userIds.length; i += RENEW_CHUNK) {
      const chunk = userIds.slice(i, i + RENEW_CHUNK);
      const live = (await ONLINE.run(
        this.redis,
        chunk.map((id) => this.userKey(id)),
        [now],
      )) as number[];
      for (const at of live) found.add(chunk[at - 1]);
    }
    return found;
  }
}
