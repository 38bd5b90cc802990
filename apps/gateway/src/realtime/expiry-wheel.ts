/**
 * Things that expire at a whole second (a token's `exp`), checked by one periodic sweep instead of
 * a timer each: an item costs one set entry. Items are bucketed by the second they expire at.
 */
export class ExpiryWheel<T> {
  private readonly buckets = new Map<number, Set<T>>();

  add(item: T, expiresAtSec: number): void {
    const bucket = this.buckets.get(expiresAtSec);
    if (bucket) bucket.add(item);
    else this.buckets.set(expiresAtSec, new Set([item]));
  }

  remove(item: T, expiresAtSec: number): void {
    const bucket = this.buckets.get(expiresAtSec);
    if (bucket?.delete(item) && bucket.size === 0) this.buckets.delete(expiresAtSec);
  }

  /** Takes out and returns every item expired at `nowMs`. */
  due(nowMs: number): T[] {
    const expired: T[] = [];
    for (const [second, bucket] of this.buckets) {
      if (second * 1000 > nowMs) continue;
      expired.push(...bucket);
      this.buckets.delete(second);
    }
    return expired;
  }
}
