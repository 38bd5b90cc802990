import { randomUUID } from 'node:crypto';
import { createRedis } from '@chat/platform';
import { describeWithRedis, redisUrl } from '../../../../test/support/env';
import { MemoryLeaseStore, RedisLeaseStore, type Lease, type LeaseStore } from './lease-store';

/** The same behaviour from both stores. Times are explicit, so nothing here waits. */
function behaves(make: () => LeaseStore) {
  const T = 1_000_000;
  const lease = (userId: string, socketId: string) => ({ userId, socketId });
  /** One lease: whether its user came online. */
  const acquire = async (store: LeaseStore, l: Lease, expiresAt: number, now: number) =>
    (await store.acquireMany([l], expiresAt, now)).length === 1;
  /** One lease: whether its user went offline. */
  const release = async (store: LeaseStore, l: Lease, now: number) =>
    (await store.releaseMany([l], now)).length === 1;

  it('reports online at the first live lease and offline when the last one is released', async () => {
    const store = make();
    const u = randomUUID();
    expect(await acquire(store, lease(u, 's1'), T + 100, T)).toBe(true);
    expect(await acquire(store, lease(u, 's2'), T + 100, T)).toBe(false);
    expect(await acquire(store, lease(u, 's1'), T + 200, T + 50)).toBe(false);
    expect(await store.online([u, randomUUID()], T)).toEqual(new Set([u]));
    expect(await release(store, lease(u, 's1'), T)).toBe(false);
    expect(await release(store, lease(u, 's1'), T)).toBe(false);
    expect(await release(store, lease(u, 's2'), T)).toBe(true);
    expect(await store.online([u], T)).toEqual(new Set());
  });

  it('lets a crashed replica’s leases lapse, and reports the user offline once when they are swept', async () => {
    const store = make();
    const [u, other] = [randomUUID(), randomUUID()];
    await acquire(store, lease(u, 'dead-1'), T + 100, T);
    await acquire(store, lease(u, 'dead-2'), T + 100, T);
    await acquire(store, lease(other, 'alive'), T + 10_000, T);
    expect(await store.online([u, other], T + 101)).toEqual(new Set([other]));
    const lapsed = (await store.lapsed(T + 101, 100)).filter((l) => l.userId === u);
    expect(lapsed.map((l) => l.socketId).sort()).toEqual(['dead-1', 'dead-2']);
    const reports = [];
    for (const l of lapsed) reports.push(await release(store, l, T + 101));
    expect(reports.filter(Boolean)).toHaveLength(1);
    expect((await store.lapsed(T + 101, 100)).filter((l) => l.userId === u)).toEqual([]);
  });

  it('keeps a user online while a live lease remains, whatever lapses', async () => {
    const store = make();
    const u = randomUUID();
    await acquire(store, lease(u, 'dead'), T + 100, T);
    await acquire(store, lease(u, 'alive'), T + 10_000, T);
    expect(await release(store, lease(u, 'dead'), T + 200)).toBe(false);
    expect(await store.online([u], T + 200)).toEqual(new Set([u]));
  });

  it('announces a comeback when a swept lease is renewed (a replica that stalled)', async () => {
    const store = make();
    const u = randomUUID();
    await acquire(store, lease(u, 's'), T + 100, T);
    expect(await release(store, lease(u, 's'), T + 200)).toBe(true);
    expect(await store.acquireMany([lease(u, 's')], T + 400, T + 300)).toEqual([u]);
  });

  it('renews many leases at once, reporting each user who was offline once', async () => {
    const store = make();
    const [online, offline, twoTabs] = [randomUUID(), randomUUID(), randomUUID()];
    await acquire(store, lease(online, 'o1'), T + 100, T);
    // More leases than one Redis call renews, so the chunks must agree too.
    const others = Array.from({ length: 600 }, (_, i) => lease(randomUUID(), `x${i}`));
    const all = [
      lease(online, 'o1'),
      lease(offline, 'f1'),
      lease(twoTabs, 't1'),
      lease(twoTabs, 't2'),
      ...others,
    ];
    const came = await store.acquireMany(all, T + 1000, T + 50);
    expect(came.sort()).toEqual([offline, twoTabs, ...others.map((l) => l.userId)].sort());
    expect(await store.acquireMany(all, T + 2000, T + 500)).toEqual([]);
    expect(await store.online([online, offline, twoTabs], T + 1500)).toEqual(
      new Set([online, offline, twoTabs]),
    );
  });

  it('releases many leases at once, reporting each user left offline once', async () => {
    const store = make();
    const [twoTabs, stays, gone] = [randomUUID(), randomUUID(), randomUUID()];
    // More leases than one Redis call releases, with one user's two leases in different calls.
    const others = Array.from({ length: 600 }, (_, i) => lease(randomUUID(), `x${i}`));
    await store.acquireMany([lease(twoTabs, 't1'), ...others, lease(twoTabs, 't2')], T + 100, T);
    await store.acquireMany([lease(stays, 'closed'), lease(gone, 'g')], T + 100, T);
    await store.acquireMany([lease(stays, 'open')], T + 10_000, T);
    const released = await store.releaseMany(
      [
        lease(twoTabs, 't1'),
        ...others,
        lease(twoTabs, 't2'),
        lease(stays, 'closed'),
        lease(gone, 'g'),
        lease(gone, 'g'),
        lease(randomUUID(), 'never-held'),
      ],
      T + 200,
    );
    expect(released.sort()).toEqual([twoTabs, gone, ...others.map((l) => l.userId)].sort());
    expect(await store.online([twoTabs, stays, gone], T + 200)).toEqual(new Set([stays]));
    // Nothing left behind for a sweep to report a second time.
    expect((await store.lapsed(T + 200, 1000)).filter((l) => l.userId !== stays)).toEqual([]);
  });

  it('shortens many leases, each to its own time, and leaves alone one no longer held', async () => {
    const store = make();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.acquireMany([lease(a, 'a'), lease(b, 'b')], T + 60_000, T);
    await store.shortenMany([
      { ...lease(a, 'a'), expiresAt: T + 10 },
      { ...lease(b, 'b'), expiresAt: T + 20 },
      { ...lease(c, 'c'), expiresAt: T + 10 },
    ]);
    expect(await store.online([a, b, c], T + 15)).toEqual(new Set([b]));
    expect(await store.online([a, b, c], T + 25)).toEqual(new Set());
    expect((await store.lapsed(T + 25, 1000)).map((l) => l.userId).sort()).toEqual([a, b].sort());
  });

  it('shortens a draining socket’s lease so it lapses unless the user reconnects', async () => {
    const store = make();
    const u = randomUUID();
    await acquire(store, lease(u, 's'), T + 60_000, T);
    await store.shortenMany([{ ...lease(u, 's'), expiresAt: T + 10 }]);
    expect(await store.online([u], T + 11)).toEqual(new Set());
    expect((await store.lapsed(T + 11, 1000)).some((l) => l.userId === u)).toBe(true);
  });
}

describe('MemoryLeaseStore', () => behaves(() => new MemoryLeaseStore()));

describeWithRedis('RedisLeaseStore', () => {
  let redis: ReturnType<typeof createRedis>;
  beforeAll(() => {
    redis = createRedis(redisUrl()!, 'test-leases');
  });
  // A prefix per test, so the shared "every lease" set only holds this test's leases.
  behaves(() => new RedisLeaseStore(redis, `test_${randomUUID()}`));
  afterAll(() => redis.quit());
});
