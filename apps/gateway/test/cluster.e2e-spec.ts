import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  disconnected,
  Inbox,
  loginAdmin,
  newUser,
  send,
  sleep,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

/**
 * Two gateway replicas on one Redis and one Postgres, as in production: whatever a user does
 * through one replica reaches the users connected to the other, in the same order.
 */
describeWithRedis('gateway cluster (two replicas)', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  const REPLICA_ENV = {
    PRESENCE_LEASE_MS: '3000',
    PRESENCE_SWEEP_MS: '500',
    PRESENCE_OFFLINE_GRACE_MS: '1500',
    FANOUT_GAP_REPAIR_MS: '300',
  };
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];

  const open = async (replica: Running, user: TestUser) => {
    const socket = await connect(replica.url, user.token);
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  };
  /** A private channel of alice's (made through replica A) with `members` added. */
  const channel = async (...members: TestUser[]) => {
    const res = await api(a.url, alice)('POST', '/channels', { name: uniqueName('c'), kind: 'private' });
    for (const m of members)
      await api(a.url, alice)('POST', `/channels/${res.body.id}/members`, { userId: m.id });
    return res.body.id as string;
  };

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    [a, b] = await Promise.all([startGateway(auth, REPLICA_ENV), startGateway(auth, REPLICA_ENV)]);
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await auth?.close();
    await closeSql();
  });

  it('delivers messages, edits and deletes to sockets on the other replica', async () => {
    const id = await channel(bob);
    const [onA, onB] = await Promise.all([open(a, alice), open(b, bob)]);
    const sent = await send(onA.socket, 'message:send', { channelId: id, body: 'from A' });
    expect(await onB.inbox.next('message:new')).toEqual(sent.ok && sent.message);
    const own = await send(onB.socket, 'message:send', { channelId: id, body: 'from B' });
    expect((await onA.inbox.next('message:new', (m) => m.body === 'from B')).seq).toBe(2);
    const edited = await send(onB.socket, 'message:edit', {
      messageId: own.ok && own.message.id,
      body: 'edited on B',
    });
    expect(await onA.inbox.next('message:updated')).toEqual(edited.ok && edited.message);
    await send(onA.socket, 'message:delete', { messageId: sent.ok && sent.message.id });
    expect(await onB.inbox.next('message:deleted')).toEqual({
      id: sent.ok && sent.message.id,
      channelId: id,
      seq: 1,
    });
    // Each replica delivered each event once.
    await sleep(200);
    expect(onB.inbox.all('message:new')).toHaveLength(2);
    expect(onA.inbox.all('message:updated')).toHaveLength(1);
  });

  it('delivers typing across replicas, and a renewal through the other replica keeps it alive', async () => {
    const id = await channel(bob);
    const [aliceOnA, aliceOnB, bobOnB] = await Promise.all([open(a, alice), open(b, alice), open(b, bob)]);
    await send(aliceOnA.socket, 'typing', { channelId: id, typing: true });
    const started = Date.now();
    expect(await bobOnB.inbox.next('typing')).toMatchObject({ userId: alice.id, typing: true });
    await sleep(3000);
    await send(aliceOnB.socket, 'typing', { channelId: id, typing: true });
    const stopped = await bobOnB.inbox.next('typing', (t) => !t.typing, 12000);
    expect(stopped).toMatchObject({ userId: alice.id, typing: false });
    // Replica A's timer (5 s after the start) did not end it: B's renewal did, 5 s after itself.
    expect(Date.now() - started).toBeGreaterThanOrEqual(7900);
    expect(bobOnB.inbox.all('typing')).toHaveLength(2);
    expect(aliceOnA.inbox.all('typing')).toEqual([]);
  }, 20000);

  it('tracks presence across replicas and tabs', async () => {
    const carol = await newUser(auth.url, 'carol');
    const id = await channel(carol);
    const watcher = await open(a, alice);
    // Subscribed on the other replica from the one carol connects to first.
    expect(await send(watcher.socket, 'presence:subscribe', { userIds: [carol.id] })).toEqual({
      ok: true,
      online: [],
    });
    const tabOnB = await open(b, carol);
    // Only carol's: others who closed sockets in earlier tests may still be going offline.
    const carols = (p: { userId: string }) => p.userId === carol.id;
    expect(await watcher.inbox.next('presence', carols)).toEqual({
      userId: carol.id,
      username: carol.username,
      online: true,
    });
    const tabOnA = await open(a, carol);
    tabOnB.socket.close();
    expect(await watcher.inbox.during('presence', 400, carols)).toEqual([]);
    const members = await api(b.url, alice)('GET', `/channels/${id}/members`);
    expect(members.body.find((m: { userId: string }) => m.userId === carol.id).online).toBe(true);
    tabOnA.socket.close();
    expect(await watcher.inbox.next('presence', (p) => carols(p) && !p.online)).toEqual({
      userId: carol.id,
      username: carol.username,
      online: false,
    });
    expect(watcher.inbox.all('presence', carols)).toHaveLength(2);
  });

  it('announces nothing when a whole channel reconnects at once, to the other replica', async () => {
    const N = 24;
    const crowd = await Promise.all(Array.from({ length: N }, () => newUser(auth.url, 'crowd')));
    await channel(...crowd);
    const inCrowd = new Set(crowd.map((u) => u.id));
    const theirs = (p: { userId: string }) => inCrowd.has(p.userId);
    const watcher = await open(a, alice);
    await send(watcher.socket, 'presence:subscribe', { userIds: [...inCrowd] });
    const before = await Promise.all(crowd.map((u, i) => open(i % 2 ? a : b, u)));
    await watcher.inbox.count('presence', N, theirs, 10000);
    for (const c of before) c.socket.close();
    const after = await Promise.all(crowd.map((u, i) => open(i % 2 ? b : a, u)));
    // Each follows the whole crowd, as an open member list does, and is told all are online.
    for (const c of after) {
      const ack = await send(c.socket, 'presence:subscribe', { userIds: [...inCrowd] });
      expect(new Set(ack.online)).toEqual(inCrowd);
    }
    // Past the offline grace, and past the sweeps of the closed sockets' leases.
    await sleep(3000);
    expect(watcher.inbox.all('presence', theirs)).toHaveLength(N);
    expect(watcher.inbox.all('presence', (p) => theirs(p) && !p.online)).toEqual([]);
    expect(after.flatMap((c) => c.inbox.all('presence'))).toEqual([]);
  }, 30000);

  it('moves a member’s sockets on the other replica into and out of the room at once', async () => {
    const id = await channel();
    const [onA, bobOnB] = await Promise.all([open(a, alice), open(b, bob)]);
    expect((await api(a.url, alice)('POST', `/channels/${id}/members`, { userId: bob.id })).status).toBe(200);
    expect((await bobOnB.inbox.next('channel:joined')).id).toBe(id);
    await send(onA.socket, 'message:send', { channelId: id, body: 'welcome' });
    expect((await bobOnB.inbox.next('message:new')).body).toBe('welcome');
    expect((await api(b.url, alice)('DELETE', `/channels/${id}/members/${bob.id}`)).status).toBe(204);
    expect(await bobOnB.inbox.next('channel:left')).toEqual({ channelId: id });
    await send(onA.socket, 'message:send', { channelId: id, body: 'gone' });
    await onA.inbox.next('message:new', (m) => m.body === 'gone');
    expect(await bobOnB.inbox.during('message:new', 300)).toHaveLength(0);
    expect(bobOnB.inbox.all('message:new')).toHaveLength(1);
  });

  it('closes a banned user’s sockets on every replica within 5 s', async () => {
    const dave = await newUser(auth.url, 'dave');
    const [onA, onB] = await Promise.all([open(a, dave), open(b, dave)]);
    const gone = [disconnected(onA.socket, 5000), disconnected(onB.socket, 5000)];
    const bannedAt = Date.now();
    expect(
      (await request(auth.url, 'POST', `/auth/users/${dave.id}/ban`, { token: admin.token })).status,
    ).toBe(204);
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(Date.now() - bannedAt).toBeLessThan(5000);
    expect(onA.inbox.all('session:ended')).toHaveLength(1);
    expect(onB.inbox.all('session:ended')).toHaveLength(1);
  });

  it('answers a clientId retry on the other replica with the original, broadcasting nothing new', async () => {
    const id = await channel(bob);
    const [aliceOnA, aliceOnB, bobOnB] = await Promise.all([open(a, alice), open(b, alice), open(b, bob)]);
    const first = await send(aliceOnA.socket, 'message:send', {
      channelId: id,
      body: 'once',
      clientId: 'k-1',
    });
    const retry = await send(aliceOnB.socket, 'message:send', {
      channelId: id,
      body: 'once',
      clientId: 'k-1',
    });
    expect(retry).toEqual(first);
    await bobOnB.inbox.next('message:new');
    expect(await bobOnB.inbox.during('message:new', 300)).toEqual([]);
    expect(await sql('SELECT count(*)::int AS n FROM messages WHERE channel_id = $1', [id])).toEqual([
      { n: 1 },
    ]);
  });

  it('catches up after a reconnect to the other replica with exactly what was missed', async () => {
    const carol = await newUser(auth.url, 'carol');
    const id = await channel(bob, carol);
    const carolOnA = await open(a, carol);
    const [aliceOnA, bobOnB] = await Promise.all([open(a, alice), open(b, bob)]);
    await send(aliceOnA.socket, 'message:send', { channelId: id, body: 'before' });
    const seen = await carolOnA.inbox.next('message:new');
    carolOnA.socket.close();
    for (let i = 0; i < 50; i++) {
      await send(i % 2 ? aliceOnA.socket : bobOnB.socket, 'message:send', {
        channelId: id,
        body: `missed ${i}`,
      });
    }
    const carolOnB = await open(b, carol);
    const sync = await send(carolOnB.socket, 'channel:sync', { channelId: id, afterSeq: seen.seq });
    expect(sync.ok).toBe(true);
    if (!sync.ok) return;
    expect(sync.hasMore).toBe(false);
    expect(sync.messages.map((m: { body: string }) => m.body)).toEqual(
      Array.from({ length: 50 }, (_, i) => `missed ${i}`),
    );
    expect(sync.messages.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => seen.seq + 1 + i),
    );
  });

  it('publishes a message whose replica died after commit, before the next one, from the database', async () => {
    const id = await channel(bob);
    const [onA, bobOnB] = await Promise.all([open(a, alice), open(b, bob)]);
    await send(onA.socket, 'message:send', { channelId: id, body: 'first' });
    // Committed by a "replica" that crashed before publishing it.
    await sql(
      `WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
               INSERT INTO messages (channel_id, seq, author_id, body) SELECT $1, last_seq, $2, 'orphan' FROM c`,
      [id, alice.id],
    );
    const third = await send(onA.socket, 'message:send', { channelId: id, body: 'third' });
    expect(third.ok && third.message.seq).toBe(3);
    const received = await bobOnB.inbox.count('message:new', 3, () => true, 3000);
    expect(received.map((m) => [m.seq, m.body])).toEqual([
      [1, 'first'],
      [2, 'orphan'],
      [3, 'third'],
    ]);
  });

  it('persists 5 clients × 200 concurrent messages once each, gap-free, and delivers them in seq order', async () => {
    const senders = await Promise.all([1, 2, 3].map(() => newUser(auth.url, 'load')));
    const users = [alice, bob, ...senders];
    const id = await channel(bob, ...senders);
    const clients = await Promise.all(users.map((u, i) => open(i % 2 ? b : a, u)));
    const PER_CLIENT = 200;
    const acks = await Promise.all(
      clients.flatMap((c, i) =>
        Array.from({ length: PER_CLIENT }, (_, n) =>
          send(
            c.socket,
            'message:send',
            { channelId: id, body: `c${i} m${n}`, clientId: `load-${i}-${n}` },
            90000,
          ),
        ),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    const total = users.length * PER_CLIENT;
    const ackedSeqs = acks.map((ack) => ack.ok && ack.message.seq).sort((x, y) => x - y);
    expect(ackedSeqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const stored = await sql('SELECT seq, body FROM messages WHERE channel_id = $1 ORDER BY seq', [id]);
    expect(stored.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(stored.map((r) => r.body)).size).toBe(total);
    // Each client's own messages got seqs in the order it sent them.
    for (let i = 0; i < users.length; i++) {
      const mine = stored
        .filter((r) => r.body.startsWith(`c${i} `))
        .map((r) => Number(r.body.split(' m')[1]));
      expect(mine).toEqual(Array.from({ length: PER_CLIENT }, (_, n) => n));
    }
    for (const c of clients) {
      const received = await c.inbox.count('message:new', total, () => true, 60000);
      expect(received.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
  }, 180000);

  it('stores clientIds sent through both replicas at once exactly once each, gap-free', async () => {
    const id = await channel(bob);
    const TABS = 4;
    const PER_TAB = 30;
    const tabs = await Promise.all(Array.from({ length: 2 * TABS }, (_, i) => open(i < TABS ? a : b, alice)));
    // Tab i on replica A and tab i on replica B send the same clientIds in the same order.
    const acks = await Promise.all(
      tabs.flatMap((t, i) =>
        Array.from({ length: PER_TAB }, (_, n) => {
          const clientId = `twice-${i % TABS}-${n}`;
          return send(t.socket, 'message:send', { channelId: id, body: clientId, clientId }, 60000);
        }),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    const byClientId = new Map<string, Set<string>>();
    for (const ack of acks) {
      if (!ack.ok) continue;
      const ids = byClientId.get(ack.message.clientId) ?? new Set<string>();
      byClientId.set(ack.message.clientId, ids.add(ack.message.id));
    }
    expect(byClientId.size).toBe(TABS * PER_TAB);
    expect([...byClientId.values()].every((ids) => ids.size === 1)).toBe(true);
    const stored = await sql('SELECT seq, client_id FROM messages WHERE channel_id = $1 ORDER BY seq', [id]);
    expect(stored.map((r) => Number(r.seq))).toEqual(Array.from({ length: TABS * PER_TAB }, (_, i) => i + 1));
    expect(new Set(stored.map((r) => r.client_id)).size).toBe(TABS * PER_TAB);
  }, 90000);

  describe('with a small command budget', () => {
    let limitedA: Running;
    let limitedB: Running;
    beforeAll(async () => {
      const env = { COMMAND_RATE_PER_SECOND: '6' };
      [limitedA, limitedB] = await Promise.all([startGateway(auth, env), startGateway(auth, env)]);
    });
    afterAll(async () => {
      await Promise.all([limitedA?.close(), limitedB?.close()]);
    });

    it('limits a user as one across replicas', async () => {
      const erin = await newUser(auth.url, 'erin');
      const id = (
        await api(limitedA.url, erin)('POST', '/channels', { name: uniqueName('rl'), kind: 'public' })
      ).body.id;
      const [onA, onB] = [await connect(limitedA.url, erin.token), await connect(limitedB.url, erin.token)];
      sockets.push(onA, onB);
      const acks = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(i % 2 ? onA : onB, 'channel:sync', { channelId: id, afterSeq: 0 }),
        ),
      );
      const limited = acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED');
      expect(limited).toHaveLength(4);
      expect(onA.connected && onB.connected).toBe(true);
    });
  });
});
