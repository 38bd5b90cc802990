/**
 * A replica's short-lived memory of something another service or replica owns (a user's ban and
 * role state, a bot token's owner): each entry is trusted for `ttlMs` after it was written, and at
 * most `maxEntries` are held. Entries stay in the order they were written, so the stale ones are
 * at the front: every write drops them, a full cache drops its oldest entry rather than all, and
 * one timer (unref'd) drops what went stale while nothing was written. An idle replica therefore
 * keeps nothing it could not use: after a reconnect wave, the statuses of thousands of users.
 *
 * A clock that moves back makes entries written "later" stale at once rather than trusted for
 * longer than the TTL.
 *
 * A value read from its owner while a revocation (`delete`, `deleteWhere`, `clear`: an event said
 * it changed) arrived may be from before the change; writing it would undo the revocation for a
 * whole TTL. So a read takes `revision()` before it starts and stores with `setUnlessRevokedSince`.
 */
export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { at: number; value: V }>();
  /** The sweep due when the oldest entry goes stale; none while the cache is empty. */
  private sweep: NodeJS.Timeout | undefined;
  /** Revocations so far: `delete`, `deleteWhere` and `clear` calls (not the TTL's own drops). */
  private revocations = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The value written less than `ttlMs` ago, or undefined. */
  get(key: K, now = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (this.fresh(hit.at, now)) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, now = Date.now()): void {
    // Re-inserted, so the map stays in write order.
    this.entries.delete(key);
    this.entries.set(key, { at: now, value });
    this.dropStale(now);
    this.scheduleSweep(now);
  }

  /** The point a read of the owner starts from, for `setUnlessRevokedSince`. */
  revision(): number {
    return this.revocations;
  }

  /**
   * `set`, unless anything was revoked since `revision` was taken: the value may have been read
   * before the change that revocation announced. Revocations are rare, and only the reads they
   * overtook go uncached (the next lookup reads again).
   */
  setUnlessRevokedSince(key: K, value: V, revision: number, now = Date.now()): void {
    if (revision === this.revocations) this.set(key, value, now);
  }

  delete(key: K): void {
    this.revocations++;
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches (a revocation that knows the value, not the key). */
  deleteWhere(matches: (value: V) => boolean): void {
    this.revocations++;
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.revocations++;
    this.entries.clear();
    clearTimeout(this.sweep);
    this.sweep = undefined;
  }

  /** Entries held: the fresh ones, and stale ones only until the next write or sweep. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops the stale entries at the front, and the oldest ones beyond `maxEntries`. */
  private dropStale(now: number): void {
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.fresh(entry.at, now)) return;
      this.entries.delete(oldest);
    }
  }

  private scheduleSweep(now: number): void {
    if (this.sweep) return;
    const oldest = this.entries.values().next();
    if (oldest.done) return;
    // No sooner than a quarter TTL apart: a wave written over seconds is dropped in a few sweeps,
    // not one per millisecond of it.
    const due = Math.min(this.ttlMs, Math.max(this.ttlMs / 4, oldest.value.at + this.ttlMs - now));
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      const at = Date.now();
      this.dropStale(at);
      this.scheduleSweep(at);
    }, due);
    this.sweep.unref();
  }

  private fresh(at: number, now: number): boolean {
    return now >= at && now - at < this.ttlMs;
  }
}
