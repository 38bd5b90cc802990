import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { waitFor } from '../../../test/support/wait-for';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  send,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { startOwnRedis, type OwnRedis } from '../../../test/support/own-redis';

const until = (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> =>
  waitFor(check, timeoutMs, what, 50);

/**
 * The database is the source of truth, Redis only the fast path: while the gateway's Redis is
 * gone, sends are stored and acknowledged at once, the replica stays ready (Redis is reported down,
 * not a reason to leave the pool), and nothing crashes;
 * once it is back, the pushes held back go out, in order.
 */
describeWithRedis('gateway while its Redis is down', () => {
  let redis: OwnRedis;
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    redis = await startOwnRedis();
    auth = await startAuth();
    gw = await startGateway(auth, { REDIS_URL: redis.url, FANOUT_GAP_REPAIR_MS: '200' });
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const s of sockets) s.close();
    await gw?.close();
    await auth?.close();
    await redis?.stop();
    await closeSql();
  });

  const readyz = async () => (await request(gw.url, 'GET', '/readyz')).status;
  const health = async () => (await request(gw.url, 'GET', '/readyz')).body.details;

  it('acknowledges sends without waiting for Redis, and publishes what it held back once Redis is back', async () => {
    const channelId = (
      await api(gw.url, alice)('POST', '/channels', { name: uniqueName('o'), kind: 'private' })
    ).body.id as string;
    await api(gw.url, alice)('POST', `/channels/${channelId}/members`, { userId: bob.id });
    const sender = await connect(gw.url, alice.token);
    const watcher = await connect(gw.url, bob.token);
    sockets.push(sender, watcher);
    const inbox = new Inbox(watcher);
    expect(await send(sender, 'message:send', { channelId, body: 'before' })).toMatchObject({ ok: true });
    expect(await inbox.next('message:new')).toMatchObject({ seq: 1, body: 'before' });

    await redis.stop();
    // Redis is shared by every replica: being down is reported, not a reason to leave the pool
    // (every replica would leave at once). The replica stays ready and serves in degraded mode.
    await until('Redis reported down', async () => (await health()).redis?.status === 'down', 3000);
    expect(await readyz()).toBe(200);
    expect(await health()).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'down', critical: false },
      eventBus: { status: 'up', state: 'degraded' },
    });
    const started = Date.now();
    const during = [];
    for (const body of ['during 1', 'during 2'])
      during.push(await send(sender, 'message:send', { channelId, body, clientId: body }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(during).toMatchObject([
      { ok: true, message: { seq: 2 } },
      { ok: true, message: { seq: 3 } },
    ]);
    // An edit broadcasts through the socket.io adapter, whose Redis publish fails unawaited.
    const edited = await send(sender, 'message:edit', { messageId: during[0].message.id, body: 'edited' });
    expect(edited).toMatchObject({ ok: true, message: { body: 'edited' } });
    expect(await send(sender, 'typing', { channelId, typing: true })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
    expect(await sql('SELECT seq FROM messages WHERE channel_id = $1 ORDER BY seq', [channelId])).toEqual([
      { seq: '1' },
      { seq: '2' },
      { seq: '3' },
    ]);

    expect(await readyz()).toBe(200);

    await redis.start();
    // Back: the event bus has re-subscribed on the new connection (Redis came back empty).
    await until('subscribed again', async () => (await health()).eventBus?.state === 'subscribed', 5000);
    expect(await readyz()).toBe(200);
    // Redis came back empty: the gate repairs from the database, maybe pushing seq 1 again.
    const pushed = await inbox.count('message:new', 2, (m) => m.seq > 1, 5000);
    expect(pushed.map((m) => m.seq)).toEqual([2, 3]);
    expect(await send(sender, 'message:send', { channelId, body: 'after' })).toMatchObject({ ok: true });
    expect(await inbox.next('message:new', (m) => m.seq === 4)).toMatchObject({ body: 'after' });
    // In order throughout (a repeat of seq 1 right after itself is the only duplicate allowed).
    const seqs: number[] = inbox.all('message:new').map((m) => m.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect([...new Set(seqs)]).toEqual([1, 2, 3, 4]);
    expect(unhandled).toEqual([]);
  }, 30_000);
});
