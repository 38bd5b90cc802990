import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../scripts/lib/embedded';

const REPO = resolve(__dirname, '../..');

/**
 * The environment `npm start` gives the local stack on a machine with nothing installed: the
 * worker's environment without the servers the test run's global setup provides.
 */
export function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...extra };
  for (const name of [
    'DATABASE_URL',
    'TEST_DATABASE_SERVER_URL',
    'REDIS_URL',
    'REDIS_PREFIX',
    'S3_ENDPOINT',
    'S3_BUCKET',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'DATA_DIR',
  ])
    delete env[name];
  return env;
}

/** The pid of the embedded Postgres serving `DATA_DIR/postgres`, from its postmaster.pid. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Plain Node (not jest's module registry) on a TypeScript file of this repository. */
export function nodeTs(file: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(REPO, file), ...args],
    {
      cwd: REPO,
      env: { ...env, TS_NODE_PROJECT: join(REPO, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export interface LocalProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM; resolves with the ms it took to exit. */
  stop(): Promise<number>;
}

/**
 * `npm start` as a process (scripts/start-local.ts under ts-node, so no build is needed): on a free
 * port, with `dataDir`, and none of DATABASE_URL, REDIS_URL, S3_ENDPOINT. Resolves once it
 * answers, or rejects with its output if it exits first.
 */
export async function startLocalProcess(dataDir: string): Promise<LocalProcess> {
  const port = await freePort();
  const child = nodeTs('scripts/start-local.ts', [], {
    ...bareEnv({ LOG_LEVEL: 'warn', LOG_PRETTY: 'false' }),
    PORT: String(port),
    DATA_DIR: dataDir,
    AUTH_PORT: '0',
    GATEWAY_PORT: '0',
    MEDIA_PORT: '0',
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const deadline = Date.now() + 120_000;
  while (!out.includes('is running at')) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw Object.assign(new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${out}`), {
        output: out,
      });
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not answer within 120 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async () => {
      const started = Date.now();
      child.kill('SIGTERM');
      await exited(child);
      return Date.now() - started;
    },
  };
}
