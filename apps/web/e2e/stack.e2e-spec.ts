import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { BrowserContext } from 'playwright-core';
import {
  startProcessStack,
  type ProcessStack,
  type ServiceProcess,
} from '../../../scripts/lib/process-stack';
import { createMigratedDatabase, dropDatabase } from '../../../test/support/database';
import {
  browserSuiteAvailable,
  composer,
  expectCount,
  gone,
  launchChromium,
  messages,
  person,
  type Person,
  register,
  REPO,
  visible,
  WEB_ROOT,
  type World,
} from './support';

/**
 * `npm run stack -- --gateways 3`, for real: auth, media and three gateways as production processes
 * (the built JS) on real Postgres and Redis and a loopback s3rver, behind the front door, and two
 * Chromium browsers that the front door sends to different gateways. Everything one of them sees of
 * the other crossed from one gateway process to another through Redis.
 */

const DIST = join(REPO, 'dist');

/**
 * What the suite needs beyond the browser. The test set-up always provides both (its own embedded
 * Postgres and redis-server when DATABASE_URL and REDIS_URL are unset), so a missing one is a broken
 * set-up: the suite fails and says which.
 */
function missingServers(): string | null {
  const missing = [
    process.env.TEST_DATABASE_SERVER_URL ? null : 'a Postgres server (TEST_DATABASE_SERVER_URL)',
    process.env.REDIS_URL ? null : 'REDIS_URL',
  ].filter((m): m is string => m !== null);
  return missing.length ? missing.join(' and ') : null;
}

function describeStack(name: string, fn: () => void): void {
  const missing = missingServers();
  if (!browserSuiteAvailable()) describe.skip(name, fn);
  else if (!missing) describe(name, fn);
  else {
    describe(name, () => {
      it('has a real Postgres and Redis to run the process stack on', () => {
        throw new Error(`${missing} is not set: the test set-up should have started one`);
      });
    });
  }
}

/** Newest modification time under `dir` of the TypeScript the server build compiles. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The stack runs the compiled services: build them (`npm run build:server`) when dist is missing or
 * older than the sources, so the test never passes on yesterday's code.
 */
function ensureServerBuild(): void {
  const mains = ['auth', 'gateway', 'media'].map((app) => join(DIST, 'apps', app, 'src', 'main.js'));
  const built = mains.every((m) => existsSync(m)) ? Math.min(...mains.map((m) => statSync(m).mtimeMs)) : 0;
  const sources = ['apps/auth/src', 'apps/gateway/src', 'apps/media/src', 'libs', 'scripts'];
  if (built > Math.max(...sources.map((d) => newestSource(join(REPO, d))))) return;
  const build = spawnSync('npm', ['run', 'build:server'], { cwd: REPO, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:server failed:\n${build.stdout}\n${build.stderr}`);
}

/** A gateway process's own count of the sockets connected to it (its /metrics). */
function connectedSockets(gw: ServiceProcess): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpGet(`${gw.url}/metrics`, { agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const sample = /^gateway_connected_sockets(?:\{[^}]*\})? (\d+)$/m.exec(text);
        // A gauge no socket ever moved has no sample yet.
        if (sample) done(Number(sample[1]));
        else if (/^# TYPE gateway_connected_sockets gauge$/m.test(text)) done(0);
        else fail(new Error(`${gw.name}: no gateway_connected_sockets in /metrics (${res.statusCode})`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${gw.name}: /metrics timed out`)));
    req.on('error', fail);
  });
}

/** Sockets per gateway, once they read `expected` (each gateway's own figure); throws with the last. */
async function socketsPerGateway(gateways: ServiceProcess[], expected: number[], timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  let counts: number[] = [];
  while (Date.now() < until) {
    counts = await Promise.all(gateways.map((g) => connectedSockets(g)));
    if (counts.join() === expected.join()) return counts;
    await new Promise((r) => setTimeout(r, 200));
  }
  return counts;
}

/** The gateway the front door pinned this browser to: the index in its sticky cookie. */
async function pinnedGateway(context: BrowserContext): Promise<number> {
  const cookie = (await context.cookies()).find((c) => c.name === 'chat_gw');
  if (!cookie) throw new Error('the front door set no chat_gw cookie');
  return Number(cookie.value);
}

describeStack('npm run stack: two browsers on different gateways chat', () => {
  let stack: ProcessStack;
  let world: World;
  let databaseUrl: string | undefined;
  let dataDir: string;
  const prefix = `chat_stack_${randomBytes(4).toString('hex')}`;
  let alice: Person;
  let bob: Person;
  /** Indexes of the gateways each browser's socket is on. */
  let onAlice: number;
  let onBob: number;
  const password = 'correct horse battery';

  beforeAll(async () => {
    ensureServerBuild();
    databaseUrl = await createMigratedDatabase(process.env.TEST_DATABASE_SERVER_URL!, 'chat_stack');
    dataDir = mkdtempSync(join(tmpdir(), 'chat-web-stack-'));
    // What `npm run stack` is given, and nothing of the test run's own settings (no S3_ENDPOINT:
    // the stack starts its s3rver on loopback, as it does by hand).
    stack = await startProcessStack({
      gateways: 3,
      port: 0,
      dataDir,
      distDir: DIST,
      webRoot: WEB_ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn',
        DATABASE_URL: databaseUrl,
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: prefix,
      },
      inheritOutput: process.env.STACK_VERBOSE === '1',
    });
    world = {
      stack,
      browser: await launchChromium(),
      dataDir,
      stop: () => Promise.resolve(),
    };
    alice = await person(world, { name: 'alice' });
    bob = await person(world, { name: 'bob' });
  }, 300_000);

  afterAll(async () => {
    await world?.browser.close().catch(() => undefined);
    await stack?.stop();
    if (databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
    if (process.env.REDIS_URL) {
      const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        const keys: string[] = [];
        for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }))
          keys.push(...(batch as string[]));
        if (keys.length) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  afterEach(() => {
    // No CSP violation, no uncaught exception, in either browser.
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it('puts the two browsers on different gateway processes', async () => {
    expect(stack.gateways).toHaveLength(3);
    await register(alice.page, 'alice', password);
    await visible(alice.page.getByRole('heading', { name: 'Channels' }), 30_000);
    await register(bob.page, 'bob', password);
    await visible(bob.page.getByRole('heading', { name: 'Channels' }), 30_000);

    onAlice = await pinnedGateway(alice.context);
    onBob = await pinnedGateway(bob.context);
    expect(onAlice).not.toBe(onBob);
    // The proof is the gateways' own count, not the cookie: one socket on each of two processes.
    const expected = [0, 0, 0];
    expected[onAlice] = 1;
    expected[onBob] = 1;
    expect(await socketsPerGateway(stack.gateways, expected)).toEqual(expected);
    expect(new Set([onAlice, onBob].map((i) => stack.gateways[i].child.pid)).size).toBe(2);
  });

  it('chats live across the two gateways, with the channel, typing and presence crossing too', async () => {
    const a = alice.page;
    await a.getByRole('button', { name: 'Create a channel' }).first().click();
    const dialog = a.getByRole('dialog', { name: 'Create a channel' });
    await dialog.getByLabel('Name').fill('ops');
    await dialog.getByLabel(/Private/).check();
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await visible(a.getByRole('heading', { name: 'ops', level: 1 }));
    await a.getByRole('button', { name: 'Add people' }).click();
    await a.getByLabel('Add people to #ops').fill('bo');
    await a.getByRole('button', { name: 'Add bob' }).click();

    // Bob's gateway learns of the channel from alice's, and bob's sidebar shows it without a reload.
    await bob.page.getByRole('link', { name: /^ops channel, private/ }).click();
    await visible(bob.page.getByRole('heading', { name: 'ops', level: 1 }));

    await composer(a).fill('Hello Bob, from another gateway');
    await composer(a).press('Enter');
    await visible(messages(bob.page).getByText('Hello Bob, from another gateway'));

    await composer(bob.page).pressSequentially('Loud and', { delay: 30 });
    await visible(a.getByText('bob is typing…'));
    await composer(bob.page).pressSequentially(' clear', { delay: 10 });
    await composer(bob.page).press('Enter');
    await visible(messages(a).getByText('Loud and clear'));
    await gone(a.getByText('bob is typing…'));

    const members = a.getByRole('complementary', { name: 'Members of #ops' });
    await visible(members.locator('li', { hasText: 'bob' }).getByText(', online'));
    for (const p of [a, bob.page]) {
      await expectCount(messages(p).getByText('Hello Bob, from another gateway'), 1);
      await expectCount(messages(p).getByText('Loud and clear'), 1);
    }
  });

  it('moves a browser whose gateway is killed to a live one, and the chat goes on', async () => {
    const victim = stack.gateways[onAlice];
    victim.kill('SIGKILL');
    await victim.exited;

    // Alice's client reconnects through the front door, which sends it to a live gateway and pins
    // it there; the gateways' own counts say where her socket is.
    const until = Date.now() + 30_000;
    let movedTo = onAlice;
    while (movedTo === onAlice && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      movedTo = await pinnedGateway(alice.context);
    }
    expect(movedTo).not.toBe(onAlice);
    const survivors = stack.gateways.filter((g) => g !== victim);
    const expected = survivors.map((g) => [onBob, movedTo].filter((i) => stack.gateways[i] === g).length);
    expect(await socketsPerGateway(survivors, expected)).toEqual(expected);
    await gone(alice.page.getByText(/Reconnecting|You are offline/));

    await composer(bob.page).fill('Still there?');
    await composer(bob.page).press('Enter');
    await visible(messages(alice.page).getByText('Still there?'));
    await composer(alice.page).fill('Yes, on another gateway');
    await composer(alice.page).press('Enter');
    await visible(messages(bob.page).getByText('Yes, on another gateway'));
    for (const p of [alice.page, bob.page]) await expectCount(messages(p).getByText('Still there?'), 1);
  });
});
