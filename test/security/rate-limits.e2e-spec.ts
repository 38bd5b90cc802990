import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { freePort } from '../../scripts/lib/embedded';
import { startFrontDoor } from '../../scripts/lib/front-door';
import { request, startAuth, uniqueName, type Running } from '../support/apps';
import { describeWithRedis } from '../support/env';
import { api, connect, newUser, sendRaw, startGateway, type TestSocket } from '../support/gateway';

/**
 * Budgets that hold however the traffic is spread: a user spraying two gateway replicas is
 * limited as one (the counters live in Redis), and password guessing is throttled per username
 * and per client address across auth replicas — sequentially and in parallel.
 */
describeWithRedis('security: rate limits across replicas', () => {
  // A prefix of this suite's own: the per-address counter of 127.0.0.1 must not be shared with
  // the other suites of the run (they log in wrongly on purpose too).
  const env = { REDIS_URL: process.env.REDIS_URL!, REDIS_PREFIX: `rl_${randomBytes(4).toString('hex')}` };
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const authEnv = { ...env, JWT_PRIVATE_KEY: signingKey };
  const COMMANDS_PER_SECOND = 10;
  const HTTP_PER_MINUTE = 20;
  let auth: Running & { jwksUrl: string };
  let authB: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    // Two auth replicas: the same signing key, the same Redis.
    [auth, authB] = await Promise.all([startAuth(authEnv), startAuth(authEnv)]);
    const limits = {
      ...env,
      COMMAND_RATE_PER_SECOND: String(COMMANDS_PER_SECOND),
      HTTP_RATE_PER_MINUTE: String(HTTP_PER_MINUTE),
    };
    [a, b] = await Promise.all([startGateway(auth, limits), startGateway(auth, limits)]);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([auth?.close(), authB?.close()]);
  });

  it('limits one user’s socket commands as one, spread over two replicas', async () => {
    const user = await newUser(auth.url, 'spray');
    const channelId = (
      await api(a.url, user)('POST', '/channels', { name: uniqueName('c'), kind: 'private' })
    ).body.id;
    const [onA, onB] = [await connect(a.url, user.token), await connect(b.url, user.token)];
    sockets.push(onA, onB);
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sendRaw(i % 2 ? onB : onA, 'channel:sync', [{ channelId, afterSeq: 0 }]),
      ),
    );
    const spanMs = Date.now() - started;
    const ok = acks.filter((x) => x.ok).length;
    const limited = acks.filter((x) => !x.ok && x.error.code === 'RATE_LIMITED');
    // The window opens at the first command; a burst inside one second gets one budget in all.
    const windows = Math.max(1, Math.ceil(spanMs / 1000));
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(COMMANDS_PER_SECOND * windows);
    expect(ok + limited.length).toBe(40);
    // Both replicas refused some: neither counted on its own.
    expect(acks.filter((x, i) => i % 2 === 0 && !x.ok).length).toBeGreaterThan(0);
    expect(acks.filter((x, i) => i % 2 === 1 && !x.ok).length).toBeGreaterThan(0);
    // Another user's budget is their own.
    const other = await newUser(auth.url, 'other');
    const otherSocket = await connect(b.url, other.token);
    sockets.push(otherSocket);
    const own = (await api(b.url, other)('POST', '/channels', { name: uniqueName('c'), kind: 'private' }))
      .body.id;
    expect((await sendRaw(otherSocket, 'channel:sync', [{ channelId: own, afterSeq: 0 }])).ok).toBe(true);
  });

  it('limits one user’s REST calls as one, spread over two replicas', async () => {
    const user = await newUser(auth.url, 'rest');
    const answers = [];
    for (let i = 0; i < HTTP_PER_MINUTE * 2; i++)
      answers.push(await api(i % 2 ? b.url : a.url, user)('GET', '/channels'));
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    expect(ok).toBe(HTTP_PER_MINUTE);
    expect(limited).toHaveLength(HTTP_PER_MINUTE);
    for (const r of limited) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const other = await newUser(auth.url, 'other');
    expect((await api(a.url, other)('GET', '/channels')).status).toBe(200);
  });

  const login = (url: string, username: string, password: string, headers?: Record<string, string>) =>
    request(url, 'POST', '/auth/login', { body: { username, password }, headers });

  it('throttles password guessing for one username across auth replicas, and then refuses the right password too', async () => {
    const victim = await newUser(auth.url, 'victim');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(i % 2 ? authB.url : auth.url, victim.username, `guess-${i}-xx`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const locked = await login(auth.url, victim.username, 'password-123');
    // No oracle: during the lock-out the right password gets the same 429 as a wrong one.
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('throttles one address spraying usernames, even behind the front door with a forged X-Forwarded-For', async () => {
    const perIp = { ...authEnv, REDIS_PREFIX: `${env.REDIS_PREFIX}_ip`, LOGIN_MAX_FAILURES_PER_IP: '10' };
    const spray = await startAuth({ ...perIp, JWT_PRIVATE_KEY: signingKey });
    const port = await freePort();
    const door: Server = await startFrontDoor({ port, auth: spray.url, media: spray.url, gateways: [a.url] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 14; i++) {
        const forged = `203.0.113.${i + 1}`;
        const res = await login(
          `http://127.0.0.1:${port}`,
          `nobody_${randomUUID().slice(0, 8)}`,
          'wrong-password',
          {
            'x-forwarded-for': forged,
          },
        );
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    } finally {
      door.closeAllConnections();
      await new Promise((r) => door.close(r));
      await spray.close();
    }
  });

  it('counts guesses made in parallel: a burst cannot try more passwords than the budget allows', async () => {
    const victim = await newUser(auth.url, 'burst');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login(i % 2 ? authB.url : auth.url, victim.username, `parallel-${i}-xx`),
      ),
    );
    const evaluated = answers.filter((r) => r.status === 401).length;
    const throttled = answers.filter((r) => r.status === 429).length;
    expect(evaluated + throttled).toBe(30);
    // LOGIN_MAX_FAILURES_PER_USER (5) guesses per window, however they are timed: an attempt is
    // counted before its password is checked.
    expect(evaluated).toBeLessThanOrEqual(5);
  });
});
