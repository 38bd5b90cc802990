import Redis from 'ioredis';
import { waitFor } from '../../../test/support/wait-for';
import type { DomainTopic } from '@chat/platform';
import { request, startAuth, testEnv, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  disconnected,
  Inbox,
  loginAdmin,
  newUser,
  refusal,
  send,
  setRoles,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { startMedia, uploadFile } from '../../../test/support/media';
import { startOwnRedis, type OwnRedis } from '../../../test/support/own-redis';
import { spawnGateway, type GatewayProcess } from './fixtures/spawn-gateway';

const REPLICAS = 3;
/** The contract: a banned user's sockets are closed within 5 s on every gateway. */
const BAN_DEADLINE_MS = 5000;

const until = (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> =>
  waitFor(check, timeoutMs, what, 50);

/**
 * Three gateway processes, auth and media on one Redis (a Redis of the suite's own: one test
 * kills connections and limits clients) and one Postgres. Every domain event (domain-events.ts)
 * is published the way users cause it, and each replica must react the way a user would notice.
 * Before the event bus checked its subscriptions, two of three replicas of a fresh stack could
 * have none (a SUBSCRIBE racing ioredis' connection handshake) and kept a banned user connected.
 */
describeWithRedis('gateway cluster: every domain event reaches every replica', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  let redis: OwnRedis;
  let admin: Redis;
  let auth: Running & { jwksUrl: string };
  let media: Running;
  let gateways: GatewayProcess[] = [];
  let root: TestUser;
  let alice: TestUser;
  const sockets: TestSocket[] = [];

  const open = async (g: GatewayProcess, user: TestUser) => {
    const socket = await connect(g.url, user.token);
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  };
  /** The user connected once to every replica. */
  const everywhere = (user: TestUser) => Promise.all(gateways.map((g) => open(g, user)));
  const readyz = async (g: GatewayProcess) => {
    const res = await request(g.url, 'GET', '/readyz');
    return { status: res.status, eventBus: res.body?.details?.eventBus as { status: string; state: string } };
  };
  /** Domain events this replica received, by topic (its Prometheus counter). */
  const received = async (g: GatewayProcess, topic: DomainTopic): Promise<number> => {
    const text = await fetch(`${g.url}/metrics`).then((r) => r.text());
    const m = new RegExp(
      `^event_bus_events_received_total\\{topic="${topic.replace('.', '\\.')}"[^}]*\\} (\\d+)$`,
      'm',
    ).exec(text);
    return m ? Number(m[1]) : 0;
  };
  const receivedEverywhere = (topic: DomainTopic) => Promise.all(gateways.map((g) => received(g, topic)));
  /** The server's events-sub connections: id, local address port of the client, channel count. */
  const eventsSubs = async () =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(' name=events-sub '))
      .map((line) => ({
        id: /\bid=(\d+)/.exec(line)![1],
        port: Number(/\baddr=[^ ]*:(\d+) /.exec(line)![1]),
        sub: Number(/\bsub=(\d+)/.exec(line)![1]),
      }));

  beforeAll(async () => {
    redis = await startOwnRedis();
    admin = new Redis(redis.url);
    const adminName = uniqueName('admin');
    auth = await startAuth({ REDIS_URL: redis.url, ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    media = await startMedia(auth, { REDIS_URL: redis.url });
    const env = testEnv({
      REDIS_URL: redis.url,
      AUTH_JWKS_URL: auth.jwksUrl,
      LOG_LEVEL: 'silent',
      COMMAND_RATE_PER_SECOND: '100000',
      HTTP_RATE_PER_MINUTE: '1000000',
    });
    gateways = await Promise.all(Array.from({ length: REPLICAS }, () => spawnGateway(env)));
    // Ready means subscribed: no replica takes users before it hears bans.
    for (const g of gateways)
      await until(`${g.url} ready`, async () => (await readyz(g)).status === 200, 20_000);
    root = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    alice = await newUser(auth.url, 'alice');
  }, 120_000);

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await admin?.config('SET', 'maxclients', '10000').catch(() => undefined);
    await Promise.all(gateways.map((g) => g.stop()));
    await media?.close();
    await auth?.close();
    admin?.disconnect();
    await redis?.stop();
    await closeSql();
  });

  it('subscribes every replica to every topic it handles, as Redis counts them', async () => {
    const subs = await eventsSubs();
    for (const g of gateways) {
      // user.banned, user.unbanned, user.roles_changed, file.deleted, messages.erased
      expect(subs.find((s) => s.port === g.eventsSubPort())).toMatchObject({ sub: 5 });
      expect(await readyz(g)).toEqual({ status: 200, eventBus: { status: 'up', state: 'subscribed' } });
    }
  });

  it("user.banned: closes the user's sockets on every replica within 5 s", async () => {
    const mallory = await newUser(auth.url, 'mallory');
    const connections = await everywhere(mallory);
    const before = await receivedEverywhere('user.banned');
    const gone = connections.map(({ socket }) => disconnected(socket, BAN_DEADLINE_MS + 5000));
    const ended = connections.map(({ inbox }) =>
      inbox.next('session:ended', () => true, BAN_DEADLINE_MS + 5000),
    );
    const bannedAt = Date.now();
    const res = await request(auth.url, 'POST', `/auth/users/${mallory.id}/ban`, { token: root.token });
    expect(res.status).toBe(204);
    const after = await Promise.all(gone.map((p) => p.then(() => Date.now() - bannedAt)));
    expect(after.every((ms) => ms < BAN_DEADLINE_MS)).toBe(true);
    expect(await Promise.all(ended)).toEqual(
      connections.map(() => expect.objectContaining({ code: 'UNAUTHORIZED' })),
    );
    expect((await receivedEverywhere('user.banned')).map((n, i) => n - before[i])).toEqual([1, 1, 1]);
    // …and no replica lets the user back in.
    for (const g of gateways) expect((await refusal(g.url, mallory.token)).message).toBe('UNAUTHORIZED');
  });

  it('user.unbanned: every replica lets the user back in at once, not after its cache expires', async () => {
    const eve = await newUser(auth.url, 'eve');
    expect((await request(auth.url, 'POST', `/auth/users/${eve.id}/ban`, { token: root.token })).status).toBe(
      204,
    );
    await until(
      'banned everywhere',
      async () => (await receivedEverywhere('user.banned')).every((n) => n > 0),
      5000,
    );
    const before = await receivedEverywhere('user.unbanned');
    // Each replica has just read (and cached for 3 s) that eve is banned.
    for (const g of gateways) expect((await refusal(g.url, eve.token)).message).toBe('UNAUTHORIZED');
    expect(
      (await request(auth.url, 'DELETE', `/auth/users/${eve.id}/ban`, { token: root.token })).status,
    ).toBe(204);
    const tookMs = await Promise.all(
      gateways.map((g) =>
        until(
          `${g.url} lets eve in`,
          async () => {
            try {
              sockets.push(await connect(g.url, eve.token));
              return true;
            } catch {
              return false;
            }
          },
          2000,
        ),
      ),
    );
    expect(Math.max(...tookMs)).toBeLessThan(2000);
    expect((await receivedEverywhere('user.unbanned')).map((n, i) => n - before[i])).toEqual([1, 1, 1]);
  });

  it('user.roles_changed: a new moderator may moderate on every replica at once', async () => {
    const bob = await newUser(auth.url, 'bob');
    const channelId = (
      await api(gateways[0].url, alice)('POST', '/channels', { name: uniqueName('r'), kind: 'public' })
    ).body.id as string;
    await api(gateways[0].url, bob)('POST', `/channels/${channelId}/join`);
    const onEach = await everywhere(bob);
    const writer = await open(gateways[0], alice);
    const messages: string[] = [];
    for (let i = 0; i < REPLICAS * 2; i++)
      messages.push(
        (await send(writer.socket, 'message:send', { channelId, body: `m${i}` })).message.id as string,
      );
    // A plain member may not delete alice's messages (and each replica now caches bob's roles).
    for (const [i, { socket }] of onEach.entries())
      expect(await send(socket, 'message:delete', { messageId: messages[i] })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    const before = await receivedEverywhere('user.roles_changed');
    await setRoles(auth.url, root, bob.id, ['member', 'moderator']);
    const tookMs = await Promise.all(
      onEach.map(({ socket }, i) =>
        until(
          `moderator on replica ${i + 1}`,
          async () =>
            (await send(socket, 'message:delete', { messageId: messages[REPLICAS + i] })).ok === true,
          2000,
        ),
      ),
    );
    // Well inside the 3 s the replicas would otherwise trust their cached roles.
    expect(Math.max(...tookMs)).toBeLessThan(2000);
    expect((await receivedEverywhere('user.roles_changed')).map((n, i) => n - before[i])).toEqual([1, 1, 1]);
  });

  it('file.deleted: every replica pushes the message without its attachment', async () => {
    const carol = await newUser(auth.url, 'carol');
    const channelId = (
      await api(gateways[0].url, alice)('POST', '/channels', { name: uniqueName('f'), kind: 'private' })
    ).body.id as string;
    await api(gateways[0].url, alice)('POST', `/channels/${channelId}/members`, { userId: carol.id });
    const file = await uploadFile(
      media.url,
      alice.token,
      channelId,
      Buffer.from('hello'),
      'a.txt',
      'text/plain',
    );
    expect(file.status).toBe(201);
    const watchers = await everywhere(carol);
    const writer = await open(gateways[1], alice);
    const sent = await send(writer.socket, 'message:send', {
      channelId,
      body: 'with a file',
      attachmentIds: [file.body.id],
    });
    expect(sent.message.attachments).toHaveLength(1);
    for (const { inbox } of watchers) await inbox.next('message:new', (m) => m.id === sent.message.id);
    const before = await receivedEverywhere('file.deleted');
    const deletedAt = Date.now();
    expect(
      (await request(media.url, 'DELETE', `/files/${file.body.id}`, { token: alice.token })).status,
    ).toBe(204);
    const updates = await Promise.all(
      watchers.map(({ inbox }) => inbox.next('message:updated', (m) => m.id === sent.message.id, 5000)),
    );
    expect(Date.now() - deletedAt).toBeLessThan(5000);
    for (const m of updates) expect(m).toMatchObject({ id: sent.message.id, attachments: [] });
    expect((await receivedEverywhere('file.deleted')).map((n, i) => n - before[i])).toEqual([1, 1, 1]);
  });

  it("member removal: the removed user's sockets leave the room on every replica", async () => {
    const dave = await newUser(auth.url, 'dave');
    const channelId = (
      await api(gateways[0].url, alice)('POST', '/channels', { name: uniqueName('m'), kind: 'private' })
    ).body.id as string;
    await api(gateways[0].url, alice)('POST', `/channels/${channelId}/members`, { userId: dave.id });
    const onEach = await everywhere(dave);
    const writer = await open(gateways[2], alice);
    await send(writer.socket, 'message:send', { channelId, body: 'before' });
    for (const { inbox } of onEach) await inbox.next('message:new', (m) => m.body === 'before');
    expect(
      (await api(gateways[1].url, alice)('DELETE', `/channels/${channelId}/members/${dave.id}`)).status,
    ).toBe(204);
    for (const { inbox } of onEach)
      expect(await inbox.next('channel:left', (p) => p.channelId === channelId)).toEqual({ channelId });
    await send(writer.socket, 'message:send', { channelId, body: 'after' });
    for (const { inbox } of onEach)
      expect(await inbox.during('message:new', 500, (m) => m.body === 'after')).toEqual([]);
  });

  it('a replica whose subscriber connection is killed re-subscribes, and is unready while it cannot', async () => {
    const [, target, other] = gateways;
    const frank = await newUser(auth.url, 'frank');
    const find = async () => (await eventsSubs()).find((s) => s.port === target.eventsSubPort());

    // Killed: it reconnects within the backoff (100 ms), re-subscribes, and hears the next ban.
    const first = await find();
    expect(first).toMatchObject({ sub: 5 });
    await admin.client('KILL', 'ID', first!.id);
    await until('a new events-sub', async () => ((await find())?.id ?? first!.id) !== first!.id, 5000);
    await until('re-subscribed', async () => (await find())?.sub === 5, 5000);
    expect((await readyz(target)).status).toBe(200);
    {
      const { socket } = await open(target, frank);
      const gone = disconnected(socket, BAN_DEADLINE_MS);
      await request(auth.url, 'POST', `/auth/users/${frank.id}/ban`, { token: root.token });
      await gone;
      await request(auth.url, 'DELETE', `/auth/users/${frank.id}/ban`, { token: root.token });
    }

    // Killed while it cannot come back (no client slot left, Redis still answers everyone else):
    // that replica would miss bans, so it says it is not ready; its peers stay ready.
    const second = await find();
    const connected = ((await admin.client('LIST')) as string).trim().split('\n').length;
    await admin.config('SET', 'maxclients', String(connected - 1));
    await admin.client('KILL', 'ID', second!.id);
    const unreadyAfterMs = await until(
      'target unready',
      async () => (await readyz(target)).status === 503,
      10_000,
    );
    expect(unreadyAfterMs).toBeLessThan(6000);
    expect(await readyz(target)).toEqual({
      status: 503,
      eventBus: expect.objectContaining({ status: 'down', state: 'unsubscribed' }),
    });
    expect((await readyz(other)).status).toBe(200);

    await admin.config('SET', 'maxclients', '10000');
    await until('target ready again', async () => (await readyz(target)).status === 200, 10_000);
    expect((await find())?.sub).toBe(5);
    const { socket } = await open(target, frank);
    const gone = disconnected(socket, BAN_DEADLINE_MS);
    await request(auth.url, 'POST', `/auth/users/${frank.id}/ban`, { token: root.token });
    await gone;
  }, 60_000);
});
