import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  it('answers for the TTL after a write, then no more', () => {
    const cache = new ExpiringCache<string, string | null>(3_000, 10);
    cache.set('a', 'ana', 1_000);
    cache.set('nobody', null, 1_000);
    expect(cache.get('a', 3_999)).toBe('ana');
    // A remembered "no such thing" is a hit too, told apart from a miss.
    expect(cache.get('nobody', 3_999)).toBeNull();
    expect(cache.get('a', 4_000)).toBeUndefined();
    expect(cache.get('missing', 1_000)).toBeUndefined();
    // A stale entry that was asked for is gone, not kept until the next write.
    expect(cache.size).toBe(1);
  });

  it('counts from the last write of a key', () => {
    const cache = new ExpiringCache<string, number>(3_000, 10);
    cache.set('a', 1, 0);
    cache.set('a', 2, 2_000);
    expect(cache.get('a', 4_500)).toBe(2);
    expect(cache.get('a', 5_000)).toBeUndefined();
  });

  it('drops every stale entry on a write, so an idle replica keeps only what it could use', () => {
    const cache = new ExpiringCache<string, number>(3_000, 50_000);
    for (let i = 0; i < 1_000; i++) cache.set(`u${i}`, i, 0);
    cache.set('u1', 1, 1_000); // rewritten later: kept past the others
    expect(cache.size).toBe(1_000);
    cache.set('late', 0, 3_500);
    expect(cache.size).toBe(2);
    expect(cache.get('u1', 3_500)).toBe(1);
    expect(cache.get('u2', 3_500)).toBeUndefined();
  });

  it('drops its oldest entries when full, not all of them', () => {
    const cache = new ExpiringCache<string, number>(60_000, 3);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i, i);
    expect(cache.size).toBe(3);
    expect(cache.get('a', 10)).toBeUndefined();
    expect(['b', 'c', 'd'].map((k) => cache.get(k, 10))).toEqual([1, 2, 3]);
  });

  it('trusts nothing written "later" once the clock moves back', () => {
    const cache = new ExpiringCache<string, number>(3_000, 10);
    cache.set('a', 1, 10_000);
    expect(cache.get('a', 9_000)).toBeUndefined();
  });

  it('drops the entries whose value matches, whatever their key', () => {
    const cache = new ExpiringCache<string, string>(3_000, 10);
    cache.set('token-1', 'bot-a', 0);
    cache.set('token-2', 'bot-b', 0);
    cache.set('token-3', 'bot-a', 0);
    cache.deleteWhere((owner) => owner === 'bot-a');
    expect(cache.size).toBe(1);
    expect(cache.get('token-2', 1)).toBe('bot-b');
    cache.delete('token-2');
    cache.set('x', 'y', 0);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('does not store a value read before a revocation that overtook the read', () => {
    const cache = new ExpiringCache<string, string>(3_000, 10);
    // A read of "ana" starts; her entry is revoked (an event) before it comes back.
    const before = cache.revision();
    cache.delete('ana');
    cache.setUnlessRevokedSince('ana', 'not banned', before, 1_000);
    expect(cache.get('ana', 1_000)).toBeUndefined();
    // deleteWhere and clear are revocations too; a read after them is stored as usual.
    for (const revoke of [() => cache.deleteWhere(() => true), () => cache.clear()]) {
      const read = cache.revision();
      revoke();
      cache.setUnlessRevokedSince('ana', 'stale', read, 1_000);
      expect(cache.get('ana', 1_000)).toBeUndefined();
    }
    const after = cache.revision();
    cache.setUnlessRevokedSince('ana', 'banned', after, 1_000);
    expect(cache.get('ana', 1_000)).toBe('banned');
    // The TTL's own drops are not revocations.
    expect(cache.get('ana', 4_000)).toBeUndefined();
    expect(cache.revision()).toBe(after);
  });

  describe('left alone', () => {
    beforeEach(() => jest.useFakeTimers({ now: 0 }));
    afterEach(() => jest.useRealTimers());

    it('drops what went stale without a write, soon after it did', () => {
      const cache = new ExpiringCache<string, number>(3_000, 50_000);
      // A wave written over two seconds, then nothing.
      for (let i = 0; i < 2_000; i++) {
        cache.set(`u${i}`, i);
        jest.advanceTimersByTime(1);
      }
      jest.advanceTimersByTime(999); // t = 2.999 s: none is stale yet
      expect(cache.size).toBe(2_000);
      jest.advanceTimersByTime(1_000);
      expect(cache.size).toBeLessThan(2_000);
      expect(cache.size).toBeGreaterThan(0);
      jest.advanceTimersByTime(2_000); // t = 6 s: the last went stale at 5 s
      expect(cache.size).toBe(0);
      // Nothing left to sweep: no timer keeps running for an empty cache.
      expect(jest.getTimerCount()).toBe(0);
    });

    it('sweeps a few times for a wave, not once per entry', () => {
      const cache = new ExpiringCache<string, number>(3_000, 50_000);
      for (let i = 0; i < 3_000; i++) {
        cache.set(`u${i}`, i);
        jest.advanceTimersByTime(1);
      }
      let sweeps = 0;
      const real = setTimeout;
      const spy = jest
        .spyOn(global, 'setTimeout')
        .mockImplementation((...args: Parameters<typeof setTimeout>) => {
          sweeps++;
          return real(...args);
        });
      jest.advanceTimersByTime(10_000);
      spy.mockRestore();
      expect(cache.size).toBe(0);
      expect(sweeps).toBeLessThanOrEqual(5);
    });
  });
});
