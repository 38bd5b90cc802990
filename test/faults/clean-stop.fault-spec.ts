import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../../scripts/lib/embedded';
import { HOSTILE_REQUESTS, judge } from '../security/support/http-fuzz-cases';
import { rawRequest } from '../security/support/raw-http';
import { distDir, startOwnRedis, waitFor, writeFigures, type OwnRedis } from './support/servers';

/**
 * A clean stop: `npm start`, `npm run stack` and each service, started from the build as they run
 * in production, stop within 10 s of SIGTERM or SIGINT while requests hang on them: an upload whose
 * body never ends, a JSON body cut short, headers never finished, a socket.io long-poll, an open
 * WebSocket, an idle keep-alive connection. Before stopping it, `npm start` also takes the hostile
 * requests of the HTTP fuzz suite on its front door (`/%E0` ended the process before) and must
 * still answer. docs/reliability.md, "HTTP edge fuzzing and clean stop", has the figures.
 */
const PROMISED_MS = 10_000;

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(script: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [join(distDir(), script), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Polls `url` until it answers 200, or fails with the process output. */
async function waitUp(proc: Proc, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`exited with ${proc.child.exitCode}:\n${proc.output()}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not up after ${timeoutMs} ms:\n${proc.output()}`);
}

/** Sends `signal`; how long the process took to exit (Infinity, and SIGKILL, past 15 s). */
async function stopTimed(proc: Proc, signal: NodeJS.Signals): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  proc.child.kill(signal);
  const late = new Promise<'late'>((r) => setTimeout(() => r('late'), 15_000).unref());
  const result = await Promise.race([proc.exited, late]);
  if (result === 'late') {
    proc.child.kill('SIGKILL');
    await proc.exited;
    return { ms: Infinity, code: null };
  }
  return { ms: Date.now() - started, code: result.code };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `check` holds (polling), or fails after `timeoutMs`. */
const until = (check: () => boolean, timeoutMs: number, what: string): Promise<number> =>
  waitFor(check, timeoutMs, what, 50);

/** Sockets the hanging requests hold open; destroyed after each test. */
const held: (Socket | WebSocket)[] = [];

/** Writes `bytes` on a new connection and leaves it open (never finishing what they started). */
function hang(url: string, bytes: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const s = connect({ host: hostname, port: Number(port) }, () => s.write(bytes, () => done(s)));
    s.on('error', () => undefined);
    s.once('error', fail);
    held.push(s);
  });
}

const HOST = 'Host: stop.test\r\n';

/** An idle keep-alive connection: one request answered, the connection left open. */
async function idleKeepAlive(url: string, path: string): Promise<void> {
  const s = await hang(url, `GET ${path} HTTP/1.1\r\n${HOST}Connection: keep-alive\r\n\r\n`);
  await new Promise((r) => s.once('data', r));
}

/** A socket.io long-poll: the handshake, then a GET that the server holds until it has something. */
async function longPoll(url: string, cookie = ''): Promise<void> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  const sid = /"sid":"([^"]+)"/.exec(text)?.[1];
  if (!sid) throw new Error(`no engine.io handshake: ${res.status} ${text}`);
  const pinned = res.headers.get('set-cookie')?.split(';')[0] ?? cookie;
  await hang(
    url,
    `GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n${HOST}${pinned ? `Cookie: ${pinned}\r\n` : ''}\r\n`,
  );
}

function webSocket(url: string): Promise<void> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    held.push(ws);
    ws.once('message', () => done());
    ws.once('error', fail);
  });
}

/** An upload of 50 MB declared, of which 64 KB arrive and then nothing. */
function stalledUpload(url: string, token: string): Promise<Socket> {
  const part =
    '--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n';
  return hang(
    url,
    `POST /files HTTP/1.1\r\n${HOST}Authorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
      `Content-Length: ${50 * 1024 * 1024}\r\n\r\n${part}${'x'.repeat(64 * 1024)}`,
  );
}

/** A JSON body declared 10 KB long, cut after a few bytes. */
function cutBody(url: string, path: string): Promise<Socket> {
  return hang(
    url,
    `POST ${path} HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"user`,
  );
}

/** Headers begun and never finished. */
function slowHeaders(url: string): Promise<Socket> {
  return hang(url, `GET / HTTP/1.1\r\n${HOST}X-Slow: `);
}

async function register(url: string): Promise<string> {
  const username = `stop_${Math.random().toString(36).slice(2, 10)}`;
  const res = await fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'password-123' }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** The environment of the test run (database, object store), minus what a launcher must decide. */
function baseEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...overrides };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Per launch: ms from the signal to the exit (or "over 15 s: SIGKILL"), and the exit code. */
const figures: Record<string, { ms: number | string; code: number | null }> = {};
const record = (name: string, stopped: { ms: number; code: number | null }) =>
  (figures[name] = {
    ms: Number.isFinite(stopped.ms) ? stopped.ms : 'over 15 s: SIGKILL',
    code: stopped.code,
  });

afterEach(() => {
  for (const s of held.splice(0)) {
    if (s instanceof WebSocket) s.terminate();
    else s.destroy();
  }
});

afterAll(() => writeFigures('clean-stop', figures));

describe('fault: each service stops within 10 s with requests hanging', () => {
  let auth: Proc | undefined;
  let authUrl = '';
  let keysDir = '';

  beforeAll(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'chat-stop-keys-'));
    const port = await freePort();
    authUrl = `http://127.0.0.1:${port}`;
    auth = launch(
      'apps/auth/src/main.js',
      [],
      baseEnv({ AUTH_PORT: String(port), JWT_KEYS_DIR: keysDir, REDIS_URL: '' }),
    );
    await waitUp(auth, `${authUrl}/readyz`);
  }, 120_000);

  afterAll(async () => {
    auth?.child.kill('SIGKILL');
    await auth?.exited;
    rmSync(keysDir, { recursive: true, force: true });
  });

  const services = [
    { app: 'auth', portVar: 'AUTH_PORT', body: '/auth/login' },
    { app: 'media', portVar: 'MEDIA_PORT', body: '/files/uploads' },
    { app: 'gateway', portVar: 'GATEWAY_PORT', body: '/channels' },
  ];

  for (const svc of services) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${svc.app} on ${signal}`, async () => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const proc = launch(
          `apps/${svc.app}/src/main.js`,
          [],
          baseEnv({
            [svc.portVar]: String(port),
            JWT_KEYS_DIR: keysDir,
            AUTH_JWKS_URL: `${authUrl}/auth/.well-known/jwks.json`,
            REDIS_URL: '',
          }),
        );
        await waitUp(proc, `${url}/readyz`);
        await idleKeepAlive(url, '/healthz');
        await cutBody(url, svc.body);
        await slowHeaders(url);
        if (svc.app === 'media') await stalledUpload(url, await register(authUrl));
        if (svc.app === 'gateway') {
          await longPoll(url);
          await webSocket(url);
        }
        await new Promise((r) => setTimeout(r, 300));
        const stopped = await stopTimed(proc, signal);
        record(`${svc.app} ${signal}`, stopped);
        expect(stopped.ms).toBeLessThan(PROMISED_MS);
        // Stopped by its own close, not by the deadline.
        expect(stopped.code).toBe(0);
      }, 120_000);
    }
  }
});

/** `npm start` as a new user runs it: no DATABASE_URL, REDIS_URL or S3_*; everything in DATA_DIR. */
function npmStartEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  return baseEnv({
    PORT: String(port),
    DATA_DIR: dataDir,
    AUTH_PORT: '0',
    GATEWAY_PORT: '0',
    MEDIA_PORT: '0',
    NODE_ENV: undefined,
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    S3_ENDPOINT: undefined,
    S3_ACCESS_KEY_ID: undefined,
    S3_SECRET_ACCESS_KEY: undefined,
    S3_BUCKET: undefined,
    REDIS_PREFIX: undefined,
  });
}

describe('fault: `npm start` takes hostile requests, then stops within 10 s with requests hanging', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal}`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'chat-stop-data-'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const proc = launch('scripts/start-local.js', [], npmStartEnv(port, dataDir));
      try {
        await waitUp(proc, `${url}/auth/.well-known/jwks.json`, 120_000);
        if (signal === 'SIGTERM') {
          // The report of issue 13, verbatim: this ended the process and every service in it.
          const e0 = await rawRequest(
            url,
            `GET /%E0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
          );
          expect(e0.status).toBe(400);
          expect(JSON.parse(e0.body)).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
          const failures: string[] = [];
          for (const c of HOSTILE_REQUESTS) {
            if (c.only && !c.only.includes('front door')) continue;
            const sent = c.build({ name: 'front door', url, health: '/' });
            const verdict = judge(c, await rawRequest(url, sent.bytes, sent.opts));
            if (verdict) failures.push(`${c.name}: ${verdict}`);
            const health = await fetch(`${url}/auth/.well-known/jwks.json`).then(
              (r) => r.status,
              () => 0,
            );
            if (health !== 200) failures.push(`${c.name}: then the front door answered ${health}`);
          }
          expect(failures).toEqual([]);
        }
        const token = await register(url);
        await idleKeepAlive(url, '/');
        await cutBody(url, '/auth/login');
        await slowHeaders(url);
        await stalledUpload(url, token);
        await longPoll(url);
        await webSocket(url);
        await new Promise((r) => setTimeout(r, 300));
        const stopped = await stopTimed(proc, signal);
        record(`npm start ${signal}`, stopped);
        expect(stopped.ms).toBeLessThan(PROMISED_MS);
        expect(stopped.code).toBe(0);
      } finally {
        proc.child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  }

  it('on SIGTERM during start-up, exits and leaves no database running', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-stop-data-'));
    const proc = launch('scripts/start-local.js', [], npmStartEnv(await freePort(), dataDir));
    const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
    try {
      await until(() => existsSync(pidFile) || proc.child.exitCode !== null, 120_000, 'the database started');
      const pgPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      const stopped = await stopTimed(proc, 'SIGTERM');
      record('npm start SIGTERM during start-up', stopped);
      expect(stopped.ms).toBeLessThan(PROMISED_MS);
      await until(() => !alive(pgPid), 10_000, 'the embedded database gone');
    } finally {
      proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('fault: `npm run stack` stops within 10 s with requests hanging, its services with it', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal}`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'chat-stop-stack-'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const proc = launch(
        'scripts/stack.js',
        ['--gateways', '2', '--port', String(port)],
        baseEnv({ DATA_DIR: dataDir, REDIS_URL: redis.url, S3_ENDPOINT: undefined }),
      );
      try {
        await waitUp(proc, `${url}/auth/.well-known/jwks.json`, 120_000);
        const pids = [...proc.output().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
        expect(pids).toHaveLength(4);
        const token = await register(url);
        await idleKeepAlive(url, '/');
        await cutBody(url, '/auth/login');
        await slowHeaders(url);
        await stalledUpload(url, token);
        await longPoll(url);
        await webSocket(url);
        await new Promise((r) => setTimeout(r, 300));
        const stopped = await stopTimed(proc, signal);
        record(`npm run stack ${signal}`, stopped);
        expect(stopped.ms).toBeLessThan(PROMISED_MS);
        expect(stopped.code).toBe(0);
        // No service outlived the launcher.
        expect(pids.filter(alive)).toEqual([]);
      } finally {
        proc.child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  }

  it('on SIGTERM during start-up, stops the services already started', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-stop-stack-'));
    const port = await freePort();
    const proc = launch(
      'scripts/stack.js',
      ['--gateways', '2', '--port', String(port)],
      baseEnv({ DATA_DIR: dataDir, REDIS_URL: redis.url, S3_ENDPOINT: undefined }),
    );
    try {
      // auth is up, the rest still starting.
      await until(() => /\(pid \d+\)/.test(proc.output()), 120_000, 'the first service started');
      const started = [...proc.output().matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
      const stopped = await stopTimed(proc, 'SIGTERM');
      record('npm run stack SIGTERM during start-up', stopped);
      expect(stopped.ms).toBeLessThan(PROMISED_MS);
      expect(started.filter(alive)).toEqual([]);
    } finally {
      proc.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
