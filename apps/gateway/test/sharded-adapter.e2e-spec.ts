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
import { startRedisCluster, type OwnRedisCluster } from '../../../test/support/redis-cluster';
import { broadcastChannel } from '../src/infra/adapter-protocol';
import { channelRoom } from '../src/infra/rooms';

const REPLICA_ENV = {
  SOCKET_ADAPTER: 'sharded',
  PRESENCE_LEASE_MS: '3000',
  PRESENCE_SWEEP_MS: '500',
  PRESENCE_OFFLINE_GRACE_MS: '1500',
  FANOUT_GAP_REPAIR_MS: '300',
};

/** Replicas, users and sockets of one suite, closed after each test / the suite. */
function world() {
  const sockets: TestSocket[] = [];
  return {
    sockets,
    open: async (replica: Running, user: TestUser) => {
      const socket = await connect(replica.url, user.token);
      sockets.push(socket);
      return { socket, inbox: new Inbox(socket) };
    },
    /** A private channel of `owner`'s (made through `via`) with `members` added. */
    channel: async (via: Running, owner: TestUser, ...members: TestUser[]) => {
      const res = await api(via.url, owner)('POST', '/channels', { name: uniqueName('c'), kind: 'private' });
      for (const m of members)
        await api(via.url, owner)('POST', `/channels/${res.body.id}/members`, { userId: m.id });
      return res.body.id as string;
    },
    closeSockets: () => {
      for (const s of sockets.splice(0)) s.close();
    },
  };
}

const seqs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

/**
 * The replicas subscribed to a room's shard channel, once it has settled at `n`: a replica
 * (un)subscribes as the room gains or loses its sockets, a moment after the socket event a client
 * sees. Polls up to 5 s, then answers what it found (for the assertion to show).
 */
async function subscribersSettle(
  cluster: { shardSubscribers(channel: string): Promise<number> },
  channel: string,
  n: number,
): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const now = await cluster.shardSubscribers(channel);
    if (now === n) return now;
    await sleep(100);
  }
  return cluster.shardSubscribers(channel);
}

/**
 * Three gateway replicas on the sharded socket.io adapter (SPUBLISH/SSUBSCRIBE, dynamic
 * subscriptions) over a Redis Cluster of three masters, with the auth service on the same cluster:
 * everything the classic two-replica suite checks a user notices, plus that a replica holding no
 * socket of a room is not sent the room's traffic at all.
 */
describeWithRedis('sharded adapter on a Redis Cluster (three replicas)', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  let cluster: OwnRedisCluster;
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  let c: Running;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const w = world();
  const roomChannel = (channelId: string) =>
    broadcastChannel(process.env.REDIS_PREFIX ?? 'chat', channelRoom(channelId));

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    const adminName = uniqueName('admin');
    auth = await startAuth({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD, REDIS_URL: cluster.url });
    const env = { ...REPLICA_ENV, REDIS_URL: cluster.url };
    [a, b, c] = await Promise.all([
      startGateway(auth, env),
      startGateway(auth, env),
      startGateway(auth, env),
    ]);
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => newUser(auth.url, n)));
  }, 60000);

  afterEach(() => w.closeSockets());

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    await auth?.close();
    await cluster?.stop();
    await closeSql();
  });

  it('delivers messages, edits and deletes to members on every replica, once each', async () => {
    const id = await w.channel(a, alice, bob, carol);
    const [onA, onB, onC] = await Promise.all([w.open(a, alice), w.open(b, bob), w.open(c, carol)]);
    const sent = await send(onA.socket, 'message:send', { channelId: id, body: 'from A' });
    expect(sent.ok).toBe(true);
    expect(await onB.inbox.next('message:new')).toEqual(sent.ok && sent.message);
    expect(await onC.inbox.next('message:new')).toEqual(sent.ok && sent.message);
    const own = await send(onC.socket, 'message:send', { channelId: id, body: 'from C' });
    expect((await onA.inbox.next('message:new', (m) => m.body === 'from C')).seq).toBe(2);
    const edited = await send(onC.socket, 'message:edit', {
      messageId: own.ok && own.message.id,
      body: 'edited on C',
    });
    expect(await onA.inbox.next('message:updated')).toEqual(edited.ok && edited.message);
    expect(await onB.inbox.next('message:updated')).toEqual(edited.ok && edited.message);
    await send(onA.socket, 'message:delete', { messageId: sent.ok && sent.message.id });
    const deleted = { id: sent.ok && sent.message.id, channelId: id, seq: 1 };
    expect(await onB.inbox.next('message:deleted')).toEqual(deleted);
    expect(await onC.inbox.next('message:deleted')).toEqual(deleted);
    await sleep(200);
    for (const inbox of [onA.inbox, onB.inbox, onC.inbox]) {
      expect(inbox.all('message:new').map((m) => m.seq)).toEqual([1, 2]);
      expect(inbox.all('message:updated')).toHaveLength(1);
      expect(inbox.all('message:deleted')).toHaveLength(1);
    }
  });

  it('subscribes a replica to a room only while it holds a socket of it; the others get nothing', async () => {
    const id = await w.channel(a, alice, bob);
    const channel = roomChannel(id);
    expect(await cluster.shardSubscribers(channel)).toBe(0);
    const onA = await w.open(a, alice);
    const onB = await w.open(b, bob);
    // carol is on C, in no room of this channel: C must not subscribe to it.
    const carolOnC = await w.open(c, carol);
    expect(await subscribersSettle(cluster, channel, 2)).toBe(2);
    await send(onA.socket, 'message:send', { channelId: id, body: 'to A and B' });
    await onB.inbox.next('message:new', (m) => m.body === 'to A and B');
    expect(await carolOnC.inbox.during('message:new', 200)).toEqual([]);
    onB.socket.close();
    await disconnected(onB.socket).catch(() => undefined);
    // Once B's last member socket is gone, B unsubscribes.
    expect(await subscribersSettle(cluster, channel, 1)).toBe(1);
    // A message still reaches A's own sockets (A delivers from its own subscription).
    await send(onA.socket, 'message:send', { channelId: id, body: 'to A only' });
    expect((await onA.inbox.next('message:new', (m) => m.body === 'to A only')).seq).toBe(2);
  });

  it('delivers concurrent sends through all three replicas to every member in seq order, gap-free', async () => {
    const senders = await Promise.all([1, 2, 3].map(() => newUser(auth.url, 'load')));
    // Several channels, so the rooms (and their ordering state) spread over the masters.
    const channels = await Promise.all([1, 2, 3].map(() => w.channel(a, alice, bob, carol, ...senders)));
    const users = [alice, bob, carol, ...senders];
    const replicas = [a, b, c];
    const clients = await Promise.all(users.map((u, i) => w.open(replicas[i % 3], u)));
    const PER_CLIENT = 45; // 15 per channel and client
    const acks = await Promise.all(
      clients.flatMap((client, i) =>
        Array.from({ length: PER_CLIENT }, (_, n) =>
          send(
            client.socket,
            'message:send',
            { channelId: channels[n % 3], body: `c${i} m${n}`, clientId: `load-${i}-${n}` },
            60000,
          ),
        ),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    const perChannel = (users.length * PER_CLIENT) / 3;
    for (const client of clients) {
      const all = await client.inbox.count('message:new', users.length * PER_CLIENT, () => true, 60000);
      for (const id of channels) {
        expect(all.filter((m) => m.channelId === id).map((m) => m.seq)).toEqual(seqs(perChannel));
      }
    }
    // The ordering state of the channels sits on more than one master.
    const slots = new Set(
      await Promise.all(
        channels.map(async (id) => {
          const admin = cluster.client();
          try {
            return await admin.cluster('KEYSLOT', roomChannel(id));
          } finally {
            admin.disconnect();
          }
        }),
      ),
    );
    expect(slots.size).toBeGreaterThan(1);
  }, 120000);

  it('publishes a message whose replica died after commit, before the next one, from the database', async () => {
    const id = await w.channel(a, alice, bob);
    const [onA, bobOnC] = await Promise.all([w.open(a, alice), w.open(c, bob)]);
    await send(onA.socket, 'message:send', { channelId: id, body: 'first' });
    await sql(
      `WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
               INSERT INTO messages (channel_id, seq, author_id, body) SELECT $1, last_seq, $2, 'orphan' FROM c`,
      [id, alice.id],
    );
    const third = await send(onA.socket, 'message:send', { channelId: id, body: 'third' });
    expect(third.ok && third.message.seq).toBe(3);
    const received = await bobOnC.inbox.count('message:new', 3, () => true, 3000);
    expect(received.map((m) => [m.seq, m.body])).toEqual([
      [1, 'first'],
      [2, 'orphan'],
      [3, 'third'],
    ]);
  });

  it('sends presence only to the sockets that follow the user, on any replica', async () => {
    const dave = await newUser(auth.url, 'dave');
    await w.channel(a, alice, dave);
    const watcher = await w.open(a, alice);
    const bystander = await w.open(c, bob);
    expect(await send(watcher.socket, 'presence:subscribe', { userIds: [dave.id] })).toEqual({
      ok: true,
      online: [],
    });
    const daves = (p: { userId: string }) => p.userId === dave.id;
    const tab = await w.open(b, dave);
    expect(await watcher.inbox.next('presence', daves)).toEqual({
      userId: dave.id,
      username: dave.username,
      online: true,
    });
    tab.socket.close();
    expect(await watcher.inbox.next('presence', (p) => daves(p) && !p.online, 8000)).toMatchObject({
      online: false,
    });
    expect(bystander.inbox.all('presence', daves)).toEqual([]);
  }, 15000);

  it('delivers typing to the channel’s members on the other replicas, not to the typist', async () => {
    const id = await w.channel(a, alice, bob, carol);
    const [aliceOnA, bobOnB, carolOnC] = await Promise.all([
      w.open(a, alice),
      w.open(b, bob),
      w.open(c, carol),
    ]);
    await send(aliceOnA.socket, 'typing', { channelId: id, typing: true });
    expect(await bobOnB.inbox.next('typing')).toMatchObject({
      channelId: id,
      userId: alice.id,
      typing: true,
    });
    expect(await carolOnC.inbox.next('typing')).toMatchObject({
      channelId: id,
      userId: alice.id,
      typing: true,
    });
    await send(aliceOnA.socket, 'typing', { channelId: id, typing: false });
    expect(await carolOnC.inbox.next('typing', (t) => !t.typing)).toMatchObject({ userId: alice.id });
    expect(aliceOnA.inbox.all('typing')).toEqual([]);
  });

  it('moves a member’s sockets on another replica into and out of the room, and its subscription', async () => {
    const id = await w.channel(a, alice);
    const channel = roomChannel(id);
    const [onA, bobOnB] = await Promise.all([w.open(a, alice), w.open(b, bob)]);
    expect(await subscribersSettle(cluster, channel, 1)).toBe(1);
    expect((await api(a.url, alice)('POST', `/channels/${id}/members`, { userId: bob.id })).status).toBe(200);
    expect((await bobOnB.inbox.next('channel:joined')).id).toBe(id);
    expect(await subscribersSettle(cluster, channel, 2)).toBe(2);
    await send(onA.socket, 'message:send', { channelId: id, body: 'welcome' });
    expect((await bobOnB.inbox.next('message:new')).body).toBe('welcome');
    expect((await api(c.url, alice)('DELETE', `/channels/${id}/members/${bob.id}`)).status).toBe(204);
    expect(await bobOnB.inbox.next('channel:left')).toEqual({ channelId: id });
    expect(await subscribersSettle(cluster, channel, 1)).toBe(1);
    await send(onA.socket, 'message:send', { channelId: id, body: 'gone' });
    await onA.inbox.next('message:new', (m) => m.body === 'gone');
    expect(await bobOnB.inbox.during('message:new', 300)).toHaveLength(0);
    expect(bobOnB.inbox.all('message:new')).toHaveLength(1);
  });

  it('closes a banned user’s sockets on every replica (events over the cluster)', async () => {
    const erin = await newUser(auth.url, 'erin');
    const tabs = await Promise.all([a, b, c].map((r) => w.open(r, erin)));
    const gone = tabs.map((t) => disconnected(t.socket, 5000));
    expect(
      (await request(auth.url, 'POST', `/auth/users/${erin.id}/ban`, { token: admin.token })).status,
    ).toBe(204);
    expect(await Promise.all(gone)).toEqual(Array(3).fill('io server disconnect'));
    for (const t of tabs) expect(t.inbox.all('session:ended')).toHaveLength(1);
  });

  it('counts a user’s commands as one over the replicas (rate limits on the cluster)', async () => {
    const env = { ...REPLICA_ENV, REDIS_URL: cluster.url, COMMAND_RATE_PER_SECOND: '6' };
    const limited = await Promise.all([startGateway(auth, env), startGateway(auth, env)]);
    try {
      const frank = await newUser(auth.url, 'frank');
      const id = (
        await api(limited[0].url, frank)('POST', '/channels', { name: uniqueName('rl'), kind: 'public' })
      ).body.id;
      const [onA, onB] = [
        await connect(limited[0].url, frank.token),
        await connect(limited[1].url, frank.token),
      ];
      w.sockets.push(onA, onB);
      const acks = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(i % 2 ? onA : onB, 'channel:sync', { channelId: id, afterSeq: 0 }),
        ),
      );
      expect(acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED')).toHaveLength(4);
    } finally {
      w.closeSockets();
      await Promise.all(limited.map((g) => g.close()));
    }
  });

  it('also runs the classic adapter on the cluster (PUBLISH reaches every node)', async () => {
    const env = { ...REPLICA_ENV, REDIS_URL: cluster.url, SOCKET_ADAPTER: 'classic' };
    const classic = await Promise.all([startGateway(auth, env), startGateway(auth, env)]);
    try {
      const id = await w.channel(classic[0], alice, bob);
      const [onA, bobOnB] = await Promise.all([w.open(classic[0], alice), w.open(classic[1], bob)]);
      const acks = await Promise.all(
        seqs(20).map((n) =>
          send(n % 2 ? onA.socket : bobOnB.socket, 'message:send', { channelId: id, body: `m${n}` }),
        ),
      );
      expect(acks.every((ack) => ack.ok)).toBe(true);
      for (const inbox of [onA.inbox, bobOnB.inbox])
        expect((await inbox.count('message:new', 20)).map((m) => m.seq)).toEqual(seqs(20));
      await send(onA.socket, 'typing', { channelId: id, typing: true });
      expect(await bobOnB.inbox.next('typing')).toMatchObject({ userId: alice.id, typing: true });
    } finally {
      w.closeSockets();
      await Promise.all(classic.map((g) => g.close()));
    }
  });
});

/** The sharded adapter also runs on one standalone Redis 7 (the run's REDIS_URL). */
describeWithRedis('sharded adapter on a standalone Redis (two replicas)', () => {
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  let alice: TestUser;
  let bob: TestUser;
  const w = world();

  beforeAll(async () => {
    auth = await startAuth();
    [a, b] = await Promise.all([startGateway(auth, REPLICA_ENV), startGateway(auth, REPLICA_ENV)]);
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
  });

  afterEach(() => w.closeSockets());

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await auth?.close();
    await closeSql();
  });

  it('delivers messages, typing and presence across replicas', async () => {
    const id = await w.channel(a, alice, bob);
    const [onA, bobOnB] = await Promise.all([w.open(a, alice), w.open(b, bob)]);
    const sent = await send(onA.socket, 'message:send', { channelId: id, body: 'hello' });
    expect(await bobOnB.inbox.next('message:new')).toEqual(sent.ok && sent.message);
    await send(bobOnB.socket, 'typing', { channelId: id, typing: true });
    expect(await onA.inbox.next('typing')).toMatchObject({ userId: bob.id, typing: true });
    await send(onA.socket, 'presence:subscribe', { userIds: [bob.id] });
    const bobAgain = await w.open(a, bob);
    bobOnB.socket.close();
    bobAgain.socket.close();
    expect(await onA.inbox.next('presence', (p) => p.userId === bob.id && !p.online, 8000)).toMatchObject({
      online: false,
    });
  }, 15000);

  it('delivers concurrent sends through both replicas in seq order, gap-free', async () => {
    const id = await w.channel(a, alice, bob);
    const clients = await Promise.all([w.open(a, alice), w.open(b, bob), w.open(a, bob), w.open(b, alice)]);
    const PER_CLIENT = 50;
    const acks = await Promise.all(
      clients.flatMap((client, i) =>
        Array.from({ length: PER_CLIENT }, (_, n) =>
          send(client.socket, 'message:send', { channelId: id, body: `c${i} m${n}` }, 60000),
        ),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    for (const client of clients) {
      const received = await client.inbox.count('message:new', 4 * PER_CLIENT, () => true, 30000);
      expect(received.map((m) => m.seq)).toEqual(seqs(4 * PER_CLIENT));
    }
  }, 60000);
});
