import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { waitFor } from '../../../test/support/wait-for';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  send,
  sleep,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { startRedisSentinel, type OwnRedisSentinel } from '../../../test/support/redis-sentinel';

const until = (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> =>
  waitFor(check, timeoutMs, what, 100);

interface Sent {
  clientId: string;
  ok: boolean;
  id?: string;
  seq?: number;
  code?: string;
}

/**
 * Redis high availability: a master, a replica and three sentinels of the test's own, and auth plus
 * two gateway replicas on REDIS_URL=redis+sentinel://…. While both replicas take sends, the first
 * sentinel of the URL and then the master are SIGKILLed; the two sentinels left promote the
 * replica, and every Redis client of the services finds the new master by itself. Nothing
 * acknowledged is lost (Postgres is the source of truth, with gap-free seqs), clients fill what
 * they missed live through channel:sync, and live delivery across replicas works again.
 */
describe('gateway on Redis Sentinel: a master failover', () => {
  let sentinel: OwnRedisSentinel;
  let auth: Running & { jwksUrl: string };
  const gateways: Running[] = [];
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  /** Ends the test's send and /readyz loops, so a failed test does not leave them hitting closed servers. */
  let stopLoops = (): Promise<unknown> => Promise.resolve();

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    const env = { REDIS_URL: sentinel.url, REDIS_PREFIX: uniqueName('sentinel') };
    auth = await startAuth(env);
    gateways.push(
      ...(await Promise.all([
        startGateway(auth, { ...env, FANOUT_GAP_REPAIR_MS: '200' }),
        startGateway(auth, { ...env, FANOUT_GAP_REPAIR_MS: '200' }),
      ])),
    );
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
    process.on('unhandledRejection', onUnhandled);
  }, 60_000);

  afterAll(async () => {
    await stopLoops();
    process.off('unhandledRejection', onUnhandled);
    for (const s of sockets) s.close();
    await Promise.all(gateways.map((g) => g.close()));
    await auth?.close();
    await sentinel?.stop();
    await closeSql();
  });

  const details = async (gw: Running) => (await request(gw.url, 'GET', '/readyz')).body?.details ?? {};

  it('keeps acknowledging through the failover, loses nothing acked, and every client recovers', async () => {
    const [a, b] = gateways;
    const channelId = (
      await api(a.url, alice)('POST', '/channels', { name: uniqueName('ha'), kind: 'private' })
    ).body.id as string;
    await api(a.url, alice)('POST', `/channels/${channelId}/members`, { userId: bob.id });
    // Alice on replica A, Bob on replica B: everything one sees of the other crossed Redis.
    const aliceSocket = await connect(a.url, alice.token, { reconnection: true });
    const bobSocket = await connect(b.url, bob.token, { reconnection: true });
    sockets.push(aliceSocket, bobSocket);
    const [aliceInbox, bobInbox] = [new Inbox(aliceSocket), new Inbox(bobSocket)];

    // Before: live delivery across replicas, through the Sentinel-found master.
    expect(await send(aliceSocket, 'message:send', { channelId, body: 'before A' })).toMatchObject({
      ok: true,
    });
    expect(await bobInbox.next('message:new', (m) => m.body === 'before A')).toMatchObject({ seq: 1 });
    expect(await send(bobSocket, 'message:send', { channelId, body: 'before B' })).toMatchObject({
      ok: true,
    });
    expect(await aliceInbox.next('message:new', (m) => m.body === 'before B')).toMatchObject({ seq: 2 });

    // Both keep sending, one command at a time, through the whole failover.
    const sent: Sent[] = [];
    let sending = true;
    const sender = async (socket: TestSocket, who: string) => {
      for (let i = 0; sending; i++) {
        const clientId = `${who}-${i}`;
        try {
          const ack = await send(socket, 'message:send', { channelId, body: clientId, clientId }, 10_000);
          sent.push({
            clientId,
            ok: ack.ok,
            id: ack.message?.id,
            seq: ack.message?.seq,
            code: ack.error?.code,
          });
        } catch (err) {
          sent.push({ clientId, ok: false, code: (err as Error).message });
        }
        await sleep(100);
      }
    };
    const senders = Promise.all([sender(aliceSocket, 'alice'), sender(bobSocket, 'bob')]);
    await sleep(500);

    // What an operator sees meanwhile: /readyz of both replicas, polled.
    const seen: { status: number; redis?: string; eventBus?: string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const gw of gateways) {
          const res = await request(gw.url, 'GET', '/readyz');
          seen.push({
            status: res.status,
            redis: res.body?.details?.redis?.status,
            eventBus: res.body?.details?.eventBus?.state,
          });
        }
        await sleep(100);
      }
    })();
    stopLoops = async () => {
      sending = polling = false;
      await Promise.allSettled([senders, poller]);
    };

    // The sentinel every client asks first is gone too: the two left still make a quorum and elect
    // a leader, and the clients skip the dead one.
    await sentinel.killSentinel(0);
    const oldPort = await sentinel.killMaster();
    const newPort = await sentinel.failedOver(oldPort, 20_000);
    expect(newPort).not.toBe(oldPort);
    // Every service's clients reconnect to the promoted replica by themselves: Redis answers and the
    // event subscriptions are back on both gateways.
    await until(
      'both gateways back on the new master',
      async () =>
        (await Promise.all(gateways.map(details))).every(
          (d) => d.redis?.status === 'up' && d.eventBus?.state === 'subscribed',
        ),
      15_000,
    );
    await sleep(1000);
    sending = false;
    await senders;
    polling = false;
    await poller;

    // Sends never failed, not even while no master was known: the database acknowledges them.
    expect(sent.filter((s) => !s.ok)).toEqual([]);
    expect(sent.length).toBeGreaterThan(10);
    // The replicas stayed in the load balancer throughout; the failover showed in their details.
    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(seen.some((s) => s.redis === 'down')).toBe(true);

    // History: every acknowledged message, under the seq its ack gave, and no gap anywhere.
    const history: { id: string; seq: number; body: string }[] = [];
    for (let afterSeq = 0, more = true; more;) {
      const page = await send(aliceSocket, 'channel:sync', { channelId, afterSeq });
      expect(page).toMatchObject({ ok: true });
      history.push(...page.messages);
      more = page.hasMore && page.messages.length > 0;
      afterSeq = history[history.length - 1]?.seq ?? afterSeq;
    }
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    expect(history).toHaveLength(sent.length + 2);
    const bySeq = new Map(history.map((m) => [m.seq, m]));
    for (const s of sent) expect(bySeq.get(s.seq!)).toMatchObject({ id: s.id, body: s.clientId });
    // The REST history agrees (its newest page).
    const rest = await api(b.url, bob)('GET', `/channels/${channelId}/messages`);
    expect(rest.status).toBe(200);
    const restSeqs = (rest.body.messages as { seq: number }[]).map((m) => m.seq);
    expect(restSeqs).toEqual(history.slice(-restSeqs.length).map((m) => m.seq));

    // Clients recover: still (or again) connected, and live delivery across replicas works both
    // ways on the new master.
    await until(
      'both sockets connected',
      () => Promise.resolve(aliceSocket.connected && bobSocket.connected),
      10_000,
    );
    const afterA = await send(aliceSocket, 'message:send', { channelId, body: 'after A' });
    expect(afterA).toMatchObject({ ok: true, message: { seq: history.length + 1 } });
    expect(await bobInbox.next('message:new', (m) => m.body === 'after A', 10_000)).toMatchObject({
      seq: history.length + 1,
    });
    const afterB = await send(bobSocket, 'message:send', { channelId, body: 'after B' });
    expect(await aliceInbox.next('message:new', (m) => m.body === 'after B', 10_000)).toMatchObject({
      seq: afterB.message.seq,
    });

    // What Bob received live arrived in order; catch-up from the last seq he holds in a row fills
    // whatever the failover kept from him, so he ends with every message.
    const live: number[] = bobInbox.all('message:new').map((m) => m.seq);
    expect([...live].sort((x, y) => x - y)).toEqual(live);
    let held = 0;
    const have = new Set(live);
    while (have.has(held + 1)) held++;
    const caughtUp = await send(bobSocket, 'channel:sync', { channelId, afterSeq: held });
    expect(caughtUp).toMatchObject({ ok: true });
    for (const m of caughtUp.messages) have.add(m.seq);
    const total = afterB.message.seq as number;
    expect([...have].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    // Every Redis client of both gateways and of auth went to the promoted node on its own.
    const node = sentinel.node(newPort);
    try {
      const names = ((await node.client('LIST')) as string)
        .split('\n')
        .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1])
        .filter(Boolean);
      // Per gateway: shared state, the adapter's publisher and subscriber; per service: the event bus;
      // auth's login throttle.
      const expected: Record<string, number> = {
        'gateway-state': 2,
        'gateway-io-pub': 2,
        'gateway-io-sub': 2,
        'events-pub': 3,
        'events-sub': 3,
        'auth-throttle': 1,
      };
      for (const [name, count] of Object.entries(expected))
        expect({ name, count: names.filter((n) => n === name).length }).toEqual({ name, count });
    } finally {
      node.disconnect();
    }
    expect(unhandled).toEqual([]);
  }, 60_000);
});
