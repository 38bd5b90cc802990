import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/embedded';

/** Debian's pgbouncer package (CI installs it: .ci/run, scripts/test.sh). */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN || '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `postgres://user@127.0.0.1:<port>/<database>`: the server at `serverUrl`, through the pooler. */
  urlFor(databaseUrl: string): string;
  /** Everything pgbouncer logged so far (its log goes to stderr). */
  log(): string;
  version: string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database/user pair: small, so clients really share them. */
  defaultPoolSize?: number;
  /** 0 (off) on 1.18; >= 1.21 supports protocol-level prepared statements in transaction mode. */
  maxPreparedStatements?: number;
}

/**
 * A real PgBouncer in transaction mode in front of the Postgres server of `serverUrl` (any database
 * on it: a `*` fallback entry), listening on a free loopback port, `auth_type = trust` (the
 * userlist names the user, which trust still requires). As root it runs as the `postgres` OS
 * user, since pgbouncer refuses root like Postgres does.
 */
export async function startPgBouncer(serverUrl: string, opts: PgBouncerOptions = {}): Promise<PgBouncer> {
  if (!existsSync(PGBOUNCER_BIN))
    throw new Error(`${PGBOUNCER_BIN} is missing: install Debian's pgbouncer (apt-get install pgbouncer)`);
  const version = /PgBouncer (\S+)/.exec(
    spawnSync(PGBOUNCER_BIN, ['--version'], { encoding: 'utf8' }).stdout,
  )?.[1];
  if (!version) throw new Error(`${PGBOUNCER_BIN} --version answered nothing`);
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chat-pgbouncer-'));
  chmodSync(dir, 0o755);
  const target = [
    `host=${server.hostname}`,
    `port=${server.port || 5432}`,
    `user=${user}`,
    ...(password ? [`password=${password}`] : []),
  ].join(' ');
  const ini = [
    '[databases]',
    `* = ${target}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${opts.defaultPoolSize ?? 4}`,
    'max_client_conn = 500',
    // What node-postgres and TypeORM may send at startup and pgbouncer does not track itself.
    'ignore_startup_parameters = extra_float_digits,options',
    ...(opts.maxPreparedStatements !== undefined
      ? [`max_prepared_statements = ${opts.maxPreparedStatements}`]
      : []),
    'server_reset_query =',
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), ini, { mode: 0o644 });
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`, { mode: 0o644 });

  const ids = process.getuid?.() === 0 ? osUser('postgres') : undefined;
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(ids ?? {}),
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // pgbouncer: SIGINT = safe shutdown, SIGTERM = immediate
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForPort(port, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    version,
    log: () => log,
    stop,
    urlFor: (databaseUrl: string) => {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      url.password = '';
      return url.toString();
    },
  };
}

function osUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error(`running as root, but there is no ${name} OS user to run pgbouncer as`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}):\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pgbouncer did not listen on ${port} within 10 s:\n${log()}`);
}
