/**
 * A replica's short-lived memory of something another service or replica owns (a user's ban and
 * role state, a bot token's owner): each entry is trusted for `ttlMs` after it was written, and at
 * most `maxEntries` are held. Entries stay in the order they were written, so the stale ones are
 * at the front: every write drops them, and a full cache drops its oldest entry rather than all.
 * An idle replica therefore keeps nothing it could not use.
 *
 * A clock that moves back makes entries written "later" stale at once rather than trusted for
 * longer than the TTL.
 */
export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { at: number; value: V }>();

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
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.fresh(entry.at, now)) return;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches (a revocation that knows the value, not the key). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Entries held: the fresh ones, and stale ones only until the next write. */
  get size(): number {
    return this.entries.size;
  }

  private fresh(at: number, now: number): boolean {
    return now >= at && now - at < this.ttlMs;
  }
}
