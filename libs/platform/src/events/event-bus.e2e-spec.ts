import Redis from 'ioredis';
import { waitFor } from '../../../../test/support/wait-for';
import { startOwnRedis, type OwnRedis } from '../../../../test/support/own-redis';
import { createRedis } from '../redis/redis';
import { RedisEventBus } from './event-bus';

/** Polls `check` every 20 ms until it is true; fails after `timeoutMs`. */
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<number> =>
  waitFor(check, timeoutMs, what, 20);

/** Against a Redis of the test's own: it changes server settings (maxclients) and kills clients. */
describe('event bus on Redis', () => {
  let redis: OwnRedis;
  let admin: Redis;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    await admin.config('SET', 'maxclients', '10000');
    for (const close of closers.splice(0)) await close();
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  /** The server's view of clients named `name`: id and channel count. */
  const clients = async (name: string) =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => ({
        id: /\bid=(\d+)/.exec(line)![1],
        sub: Number(/\bsub=(\d+)/.exec(line)![1]),
      }));

  const bus = (prefix: string, opts: ConstructorParameters<typeof RedisEventBus>[2] = {}) => {
    const b = new RedisEventBus(redis.url, prefix, opts);
    closers.push(() => b.close());
    return b;
  };

  it('keeps a SUBSCRIBE issued during the connection handshake (redis/ioredis#2037)', async () => {
    // Before the fix: the SUBSCRIBE's reply put the connection in subscriber mode before the INFO
    // ready check, ioredis dropped the connection and reconnected without the channel, and the
    // SUBSCRIBE had resolved as if all was well. That is how two of three gateways heard no bans.
    for (let i = 0; i < 5; i++) {
      const sub = createRedis(redis.url, `handshake-${i}`);
      closers.push(() => sub.quit());
      const subscribed = new Promise<unknown>((resolve) =>
        sub.once('connect', () => resolve(sub.subscribe(`handshake:${i}`))),
      );
      expect(await subscribed).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(await admin.pubsub('NUMSUB', `handshake:${i}`)).toEqual([`handshake:${i}`, 1]);
      expect(await clients(`handshake-${i}`)).toEqual([{ id: expect.any(String), sub: 1 }]);
    }
  });

  it('subscribes every topic with a handler, proves it, and delivers', async () => {
    const b = bus('t1');
    const got: string[] = [];
    b.subscribe('user.banned', ({ userId }) => void got.push(`banned ${userId}`));
    b.subscribe('user.roles_changed', ({ userId }) => void got.push(`roles ${userId}`));
    b.subscribe('user.banned', ({ userId }) => void got.push(`banned again ${userId}`));
    await until('subscribed', () => b.status().subscribed);
    expect(b.status()).toMatchObject({
      transport: 'redis',
      connected: true,
      subscribed: true,
      topics: ['user.banned', 'user.roles_changed'],
      missing: [],
    });
    expect(await clients('events-sub')).toEqual([{ id: expect.any(String), sub: 2 }]);
    expect(await b.check()).toEqual({ ready: true, state: 'subscribed' });
    await b.publish('user.banned', { userId: 'u1' });
    await b.publish('user.roles_changed', { userId: 'u2', roles: ['admin'] });
    await until('delivered', () => got.length === 3);
    expect(got.sort()).toEqual(['banned again u1', 'banned u1', 'roles u2']);
  });

  it('re-subscribes after its connection is killed, and is not ready while Redis answers without it', async () => {
    const b = bus('t2', { graceMs: 500 });
    const got: string[] = [];
    b.subscribe('user.banned', ({ userId }) => void got.push(userId));
    await until('subscribed', () => b.status().subscribed);

    // Killed once: back and subscribed within the reconnect backoff, and the next event arrives.
    const [first] = await clients('events-sub');
    await admin.client('KILL', 'ID', first.id);
    await until('lost', () => !b.status().subscribed);
    await until('subscribed again', () => b.status().subscribed);
    const [second] = await clients('events-sub');
    expect(second.id).not.toBe(first.id);
    expect(second.sub).toBe(1);
    await b.publish('user.banned', { userId: 'after-kill' });
    await until('delivered after the kill', () => got.includes('after-kill'));

    // Killed while it cannot come back (no client slot left): Redis answers, the bus has no
    // subscription, so after the grace period the replica is not ready.
    const connected = ((await admin.client('LIST')) as string).trim().split('\n').length;
    await admin.config('SET', 'maxclients', String(connected - 1));
    await admin.client('KILL', 'ID', second.id);
    await until('lost again', () => !b.status().subscribed);
    expect(await b.check()).toMatchObject({ ready: true, state: 'resubscribing' });
    await new Promise((r) => setTimeout(r, 600));
    expect(await b.check()).toEqual({
      ready: false,
      state: 'unsubscribed',
      message: 'not subscribed to user.banned while Redis answers',
    });
    await admin.config('SET', 'maxclients', '10000');
    await until('subscribed once a slot is free', () => b.status().subscribed);
    expect(await b.check()).toEqual({ ready: true, state: 'subscribed' });
    await b.publish('user.banned', { userId: 'after-outage' });
    await until('delivered after the second kill', () => got.includes('after-outage'));
  }, 20_000);

  it('is ready but degraded while Redis is unreachable, and subscribed again once it is back', async () => {
    const own = await startOwnRedis();
    const b = new RedisEventBus(own.url, 't3', { graceMs: 500 });
    closers.push(
      () => b.close(),
      () => own.stop(),
    );
    b.subscribe('file.deleted', () => undefined);
    await until('subscribed', () => b.status().subscribed);
    await own.stop();
    await until('lost', () => !b.status().subscribed);
    await new Promise((r) => setTimeout(r, 600));
    expect(await b.check()).toMatchObject({ ready: true, state: 'degraded' });
    expect(await b.redisReachable()).toBe(false);
    await own.start();
    await until('subscribed after the restart', () => b.status().subscribed, 10_000);
    expect(await b.check()).toEqual({ ready: true, state: 'subscribed' });
  }, 20_000);

  it('reconnects when Redis stops answering its SUBSCRIBE', async () => {
    const b = bus('t4', { verifyIntervalMs: 300, replyTimeoutMs: 300 });
    b.subscribe('user.unbanned', () => undefined);
    await until('subscribed', () => b.status().subscribed);
    const [before] = await clients('events-sub');
    // CLIENT PAUSE holds every client's commands: the periodic SUBSCRIBE gets no answer in time.
    await admin.client('PAUSE', 1500, 'ALL');
    await until(
      'reconnected on a new connection',
      async () => {
        const now = await clients('events-sub');
        return now.length === 1 && now[0].id !== before.id && b.status().subscribed;
      },
      10_000,
    );
  }, 20_000);
});
