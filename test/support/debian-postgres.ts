import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../scripts/lib/embedded';

/** The major version of the `pg_dump` on PATH (Debian's postgresql-client), e.g. 15. */
export function pgDumpMajor(): number {
  const r = spawnSync('pg_dump', ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\) (\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error('pg_dump is missing: install Debian postgresql-client');
  return Number(m[1]);
}

/** The major version of the server at `url`. */
export async function serverMajor(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Math.floor(Number(rows[0].v) / 10000);
  } finally {
    await client.end();
  }
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway Postgres from Debian's server binaries of `major` (/usr/lib/postgresql/<major>/bin,
 * the `postgresql` package), on a free loopback port, without fsync. For suites whose client tools
 * (pg_dump refuses a server newer than itself) must match the server: the embedded PostgreSQL of
 * `npm test` without DATABASE_URL is 17, Debian 12's client 15. As root it runs as `postgres`.
 */
export async function startDebianPostgres(major: number): Promise<PrivatePostgres> {
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (!existsSync(join(bin, 'postgres')))
    throw new Error(
      `${bin}/postgres is missing: pg_dump ${major} needs a server of at most its version; install ` +
        `Debian's postgresql (${major}) or set DATABASE_URL to a PostgreSQL ${major} server`,
    );
  const root = mkdtempSync(join(tmpdir(), 'chat-pg-debian-'));
  const data = join(root, 'data');
  let ids: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0) throw new Error('running as root, but there is no postgres OS user');
    ids = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    chownSync(root, ids.uid, ids.gid);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    encoding: 'utf8',
    ...(ids ?? {}),
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}) },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`Postgres ${major} did not start:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop };
}
