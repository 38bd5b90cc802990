import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createDataSource } from '@chat/database';
import { freePort, s3rverUnlessConfigured, type Stoppable } from './embedded';
import { bindFrontDoor, startFrontDoor } from './front-door';

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Sends a signal (SIGTERM for a graceful drain, SIGKILL for a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export interface ProcessStackOptions {
  gateways: number;
  /** Front door port (0: any free port). */
  port: number;
  dataDir: string;
  /** Needs DATABASE_URL and REDIS_URL; S3_ENDPOINT unset starts an s3rver on loopback. */
  env: NodeJS.ProcessEnv;
  /** Compiled output (`npm run build`). */
  distDir?: string;
  webRoot?: string;
  log?: (line: string) => void;
  /** Inherit the services' stdout/stderr (default: discard, keep stderr tail). */
  inheritOutput?: boolean;
  /** Aborted during start-up: the services started so far are stopped and the start fails. */
  signal?: AbortSignal;
}

export interface ProcessStack {
  url: string;
  auth: ServiceProcess;
  media: ServiceProcess;
  gateways: ServiceProcess[];
  env: NodeJS.ProcessEnv;
  /** Starts one more gateway (e.g. to replace a killed one). */
  addGateway(): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** GET url's /readyz: its status, or 0 when nothing answers. No keep-alive: nothing is left open. */
function readyz(url: string): Promise<number> {
  return new Promise((done) => {
    const req = httpGet(`${url}/readyz`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${url}: process exited with ${child.exitCode ?? child.signalCode}`);
    if ((await readyz(url)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms`);
}

/**
 * The compose topology as local processes: auth, media and N gateways (built JS, production mode)
 * against real Postgres and Redis, behind the front door that balances WebSockets across gateways.
 * The benchmark and the fault tests drive it; `npm run stack` runs it by hand.
 */
export async function startProcessStack(opts: ProcessStackOptions): Promise<ProcessStack> {
  const log = opts.log ?? (() => undefined);
  const dist = resolve(opts.distDir ?? 'dist');
  const stoppers: Stoppable[] = [];
  const children: ServiceProcess[] = [];
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', LOG_LEVEL: 'warn', ...opts.env };
  if (!env.DATABASE_URL || !env.REDIS_URL)
    throw new Error('the process stack needs DATABASE_URL and REDIS_URL');

  // Bound first: a port in use fails the start before anything else runs, the public origin is the
  // real one, and nothing can take the port meanwhile.
  const bound = await bindFrontDoor(opts.port, '127.0.0.1');
  const { port } = bound.address() as AddressInfo;
  env.CORS_ORIGINS ??= `http://localhost:${port},http://127.0.0.1:${port}`;
  env.JWT_KEYS_DIR ??= join(opts.dataDir, 'keys');

  opts.signal?.addEventListener('abort', () => children.forEach((c) => c.kill('SIGTERM')), { once: true });

  const launch = async (name: string, app: string, portVar: string): Promise<ServiceProcess> => {
    if (opts.signal?.aborted) throw new Error('stopped during start-up');
    const p = await freePort();
    const child = spawn(process.execPath, [join(dist, 'apps', app, 'src', 'main.js')], {
      env: { ...env, [portVar]: String(p) },
      stdio: opts.inheritOutput ? 'inherit' : ['ignore', 'ignore', 'pipe'],
    });
    let stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((done) => {
      child.once('exit', (code) => done(code));
      // Never started (no 'exit' follows); an 'error' without a listener would also crash us.
      child.once('error', () => done(child.exitCode));
    });
    const svc: ServiceProcess = {
      name,
      url: `http://127.0.0.1:${p}`,
      port: p,
      child,
      kill: (signal = 'SIGTERM') => void child.kill(signal),
      exited,
    };
    children.push(svc);
    try {
      await waitReady(svc.url, child);
    } catch (err) {
      throw new Error(`${name} failed to start: ${(err as Error).message}\n${stderrTail}`);
    }
    log(`${name} ready at ${svc.url} (pid ${child.pid})`);
    return svc;
  };

  try {
    const ds = createDataSource({ url: env.DATABASE_URL, poolSize: 1 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' }).finally(() => ds.destroy());
    const s3 = await s3rverUnlessConfigured(env, join(opts.dataDir, 's3'));
    if (s3) stoppers.push(s3);

    const auth = await launch('auth', 'auth', 'AUTH_PORT');
    env.AUTH_JWKS_URL = `${auth.url}/auth/.well-known/jwks.json`;
    const media = await launch('media', 'media', 'MEDIA_PORT');
    const gateways: ServiceProcess[] = [];
    for (let i = 0; i < opts.gateways; i++)
      gateways.push(await launch(`gateway-${i + 1}`, 'gateway', 'GATEWAY_PORT'));
    const door = await startFrontDoor({
      port,
      host: '127.0.0.1',
      bound,
      auth: auth.url,
      media: media.url,
      gateways: gateways.map((g) => g.url),
      webRoot: opts.webRoot,
    });
    return {
      url: `http://localhost:${port}`,
      auth,
      media,
      gateways,
      env,
      addGateway: async () => {
        const g = await launch(`gateway-${gateways.length + 1}`, 'gateway', 'GATEWAY_PORT');
        gateways.push(g);
        door.gateways.add(g.url);
        return g;
      },
      stop: async () => {
        // close() first: closeAllConnections() before it would leave the listener taking new ones.
        const closed = new Promise<void>((done) => door.close(() => done()));
        door.closeAllConnections();
        await closed;
        await stopAll(children);
        for (const s of stoppers.reverse()) await s.stop().catch(() => undefined);
      },
    };
  } catch (err) {
    bound.close();
    await stopAll(children);
    for (const s of stoppers.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}

/**
 * How long a child gets after SIGTERM before SIGKILL: a service exits by itself within its stop
 * deadline (STOP_DEADLINE_MS, 8 s, libs/platform/src/http/stop.ts); this only reaps one that hung
 * past it, so the stack as a whole is down within 10 s.
 */
const KILL_AFTER_MS = 8_500;

/** SIGTERM (a graceful drain) to every child still running, SIGKILL to any still there after KILL_AFTER_MS. */
async function stopAll(children: ServiceProcess[]): Promise<void> {
  const running = children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  for (const c of running) c.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, KILL_AFTER_MS)));
  await Promise.race([Promise.all(running.map((c) => c.exited)), timeout]);
  clearTimeout(timer);
  const stuck = running.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  for (const c of stuck) c.kill('SIGKILL');
  await Promise.all(stuck.map((c) => c.exited));
}
