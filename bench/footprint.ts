/**
 * The laptop footprint of `npm start`: starts `node dist/scripts/start-local.js` (the built local
 * mode; `npm run build` first) on a fresh temporary DATA_DIR with none of DATABASE_URL, REDIS_URL
 * or S3_ENDPOINT, measures how long until the front door answers (auth's JWKS and the gateway,
 * through it), lets it sit idle, then sums the RSS of the launcher and every process under it (the
 * embedded PostgreSQL's postmaster and backends included), read from /proc. RSS counts shared pages
 * once per process, so PSS (each shared page split between its users) is reported too.
 *
 * `node dist/bench/bench/footprint.js [--idle-seconds=5]` prints the JSON; bench/run.ts writes it
 * into the benchmark's results as `footprint`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Footprint {
  /** Sum of VmRSS over the launcher and all its descendants, after `idleSeconds` idle. */
  idleRssMb: number;
  /** The same as PSS (shared pages split between the processes that map them). */
  idlePssMb: number;
  /** From spawning the launcher until the front door answered for auth and the gateway. */
  startSeconds: number;
  /** How many processes that is. */
  processes: number;
  idleSeconds: number;
  perProcess: { pid: number; command: string; rssMb: number; pssMb: number | null }[];
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone */
    }
  }
  return byParent;
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of byParent.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function memoryOf(pid: number): { command: string; rssKb: number; pssKb: number | null } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    let pss: number | null = null;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      pss = m ? Number(m[1]) : null;
    } catch {
      /* older kernels */
    }
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .join(' ')
      .slice(0, 80);
    return { command, rssKb: rss ? Number(rss[1]) : 0, pssKb: pss };
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => done(port));
    });
  });
}

async function answers(url: string, status: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === status;
  } catch {
    return false;
  }
}

export async function measureFootprint(root: string, idleSeconds = 5): Promise<Footprint> {
  const launcher = join(root, 'dist', 'scripts', 'start-local.js');
  if (!existsSync(launcher)) throw new Error(`${launcher} is missing: npm run build first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-footprint-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    AUTH_PORT: '0',
    GATEWAY_PORT: '0',
    MEDIA_PORT: '0',
  };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'S3_ENDPOINT',
    'S3_BUCKET',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
  ])
    delete env[name];
  const started = Date.now();
  const child = spawn(process.execPath, [launcher], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const base = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
      if (Date.now() - started > 120_000)
        throw new Error(`npm start did not answer within 120 s:\n${output}`);
      if (
        (await answers(`${base}/auth/.well-known/jwks.json`, 200)) &&
        (await answers(`${base}/channels`, 401))
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const startSeconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const perProcess = processTree(child.pid!)
      .map((pid) => ({ pid, mem: memoryOf(pid) }))
      .filter((p): p is { pid: number; mem: NonNullable<ReturnType<typeof memoryOf>> } => p.mem !== null)
      .map(({ pid, mem }) => ({
        pid,
        command: mem.command,
        rssMb: mb(mem.rssKb),
        pssMb: mem.pssKb === null ? null : mb(mem.pssKb),
      }));
    return {
      idleRssMb: Math.round(perProcess.reduce((a, p) => a + p.rssMb, 0)),
      idlePssMb: Math.round(perProcess.reduce((a, p) => a + (p.pssMb ?? p.rssMb), 0)),
      startSeconds: Math.round(startSeconds * 100) / 100,
      processes: perProcess.length,
      idleSeconds,
      perProcess,
    };
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      new Promise((r) => child.once('exit', () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 15_000)),
    ]);
    if (!stopped) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const idle = Number(
    /^--idle-seconds=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--idle-seconds=')) ?? '')?.[1] ?? 5,
  );
  measureFootprint(resolve(__dirname, '..', '..', '..'), idle).then(
    (f) => {
      console.log(JSON.stringify(f, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
