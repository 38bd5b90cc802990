import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { request, startAuth, type Running } from '../support/apps';
import { createMigratedDatabase, dropDatabase } from '../support/database';
import {
  pgDumpMajor,
  serverMajor,
  startDebianPostgres,
  type PrivatePostgres,
} from '../support/debian-postgres';
import { api, connect, newUser, send, startGateway, type TestUser } from '../support/gateway';
import { repoPath, ROOT } from './support/repo';

/**
 * The backup runbook for real: data written through the app, dumped by the CronJob's own script
 * (k8s/components/backups/backup.sh, pg_dump -Fc), restored by scripts/restore.sh into a new
 * database (pg_restore, the migrations, the checks), and served from there by a fresh auth and
 * gateway: the user logs in and reads their channel as it was.
 */
const BACKUP_SCRIPT = repoPath('k8s', 'components', 'backups', 'backup.sh');
const RESTORE_SCRIPT = repoPath('scripts', 'restore.sh');
/** The migrations from source (CI's image runs node dist/scripts/migrate.js, the same code built). */
const MIGRATE_CMD = 'node -r ts-node/register/transpile-only -r tsconfig-paths/register scripts/migrate.ts';

function run(cmd: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function query<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A URL for a database that does not exist yet, on `server`. */
function newDatabaseUrl(server: string, prefix: string): string {
  const url = new URL(server);
  url.pathname = `/${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return url.toString();
}

describe('backup (the CronJob script) and restore (scripts/restore.sh)', () => {
  /** The run's Postgres, or, when it is newer than the local pg_dump (which refuses it), one of its version. */
  let server: string;
  let ownServer: PrivatePostgres | undefined;
  let source: { url: string };
  const restored: string[] = [];
  const running: Running[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'chat-backups-'));
  let owner: TestUser;
  let channelId: string;
  let sentSeqs: number[];
  let editedId: string;
  let dump: string;

  /** auth + gateway on `url`, no Redis: one replica each. */
  const serve = async (url: string) => {
    const env = { DATABASE_URL: url, REDIS_URL: '' };
    const auth = await startAuth(env);
    running.push(auth);
    const gateway = await startGateway(auth, env);
    running.push(gateway);
    return { auth, gateway };
  };
  const stopAll = async () => {
    for (const r of running.splice(0).reverse()) await r.close();
  };

  beforeAll(async () => {
    server = process.env.TEST_DATABASE_SERVER_URL ?? process.env.DATABASE_URL!;
    if ((await serverMajor(server)) > pgDumpMajor()) {
      ownServer = await startDebianPostgres(pgDumpMajor());
      server = ownServer.url;
    }
    source = { url: await createMigratedDatabase(server, 'chat_backup_src') };
    const { auth, gateway } = await serve(source.url);
    owner = await newUser(auth.url, 'bak');
    const res = await api(gateway.url, owner)('POST', '/channels', { name: 'backed-up', kind: 'public' });
    expect(res.status).toBe(201);
    channelId = res.body.id;
    const socket = await connect(gateway.url, owner.token);
    const acks = [];
    for (let i = 0; i < 5; i++)
      acks.push(await send(socket, 'message:send', { channelId, body: `kept ${i}` }));
    sentSeqs = acks.map((a) => a.message.seq);
    editedId = acks[1].message.id;
    expect((await send(socket, 'message:edit', { messageId: editedId, body: 'kept, edited' })).ok).toBe(true);
    socket.close();
    await stopAll();
  });

  afterAll(async () => {
    await stopAll();
    for (const url of restored) await dropDatabase(url).catch(() => undefined);
    if (source) await dropDatabase(source.url).catch(() => undefined);
    await ownServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dumps with the CronJob script into a custom-format archive, and applies retention only after', () => {
    const stale = join(dir, 'chat-20000101T000000Z.dump');
    const recent = join(dir, 'chat-20990101T000000Z.dump');
    writeFileSync(stale, 'old');
    writeFileSync(recent, 'recent');
    const monthAgo = Date.now() / 1000 - 30 * 86_400;
    utimesSync(stale, monthAgo, monthAgo);

    const r = run('sh', [BACKUP_SCRIPT], {
      DATABASE_URL: source.url,
      BACKUP_DIR: dir,
      BACKUP_RETENTION_DAYS: '14',
    });
    expect(r.out).toContain('backup written');
    expect(r.status).toBe(0);
    const files = readdirSync(dir).sort();
    // The month-old dump went, the recent one stayed, no .partial is left behind.
    expect(files).not.toContain('chat-20000101T000000Z.dump');
    expect(files).toContain('chat-20990101T000000Z.dump');
    expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
    const written = files.filter(
      (f) => /^chat-\d{8}T\d{6}Z\.dump$/.test(f) && f !== 'chat-20990101T000000Z.dump',
    );
    expect(written).toHaveLength(1);
    dump = join(dir, written[0]);
    const list = run('pg_restore', ['--list', dump], {});
    expect(list.status).toBe(0);
    expect(list.out).toMatch(/TABLE DATA public messages/);
  });

  it('fails the backup, keeping every old dump, when the database cannot be reached', () => {
    const before = readdirSync(dir).sort();
    const bad = new URL(source.url);
    bad.pathname = '/no_such_database_for_backup';
    const r = run('sh', [BACKUP_SCRIPT], {
      DATABASE_URL: bad.toString(),
      BACKUP_DIR: dir,
      BACKUP_RETENTION_DAYS: '0',
    });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/no_such_database_for_backup/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('restores into a new database, runs the migrations (none pending) and checks it', async () => {
    const target = newDatabaseUrl(server, 'chat_restored');
    restored.push(target);
    const r = run('bash', [RESTORE_SCRIPT, dump, target], { CHAT_MIGRATE_CMD: MIGRATE_CMD });
    expect(r.out).toContain('restore: done');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/none pending/);
    expect(r.out).toMatch(/restore: {3}messages 5/);

    const rows = await query<{ seq: string; body: string }>(
      target,
      'SELECT seq, body FROM messages WHERE channel_id = $1 ORDER BY seq',
      [channelId],
    );
    expect(rows.map((m) => Number(m.seq))).toEqual(sentSeqs);
    expect(rows[1].body).toBe('kept, edited');
  });

  it('serves the restored data: the user logs in, reads the channel, and the next message follows on', async () => {
    const target = restored[0];
    const { auth, gateway } = await serve(target);
    const login = await request(auth.url, 'POST', '/auth/login', {
      body: { username: owner.username, password: 'password-123' },
    });
    expect(login.status).toBe(200);
    const user: TestUser = { ...owner, token: login.body.accessToken };
    const page = await api(gateway.url, user)('GET', `/channels/${channelId}/messages?limit=50`);
    expect(page.status).toBe(200);
    const messages = page.body.messages as { seq: number; body: string; id: string }[];
    expect(messages.map((m) => m.seq).sort((a, b) => a - b)).toEqual(sentSeqs);
    expect(messages.find((m) => m.id === editedId)?.body).toBe('kept, edited');

    const socket = await connect(gateway.url, user.token);
    const next = await send(socket, 'message:send', { channelId, body: 'after the restore' });
    socket.close();
    expect(next.ok && next.message.seq).toBe(Math.max(...sentSeqs) + 1);
    await stopAll();
  });

  it('refuses to restore over a database that holds data, and leaves it as it was', async () => {
    const target = restored[0];
    const before = await query(target, 'SELECT count(*)::int AS n FROM messages');
    const r = run('bash', [RESTORE_SCRIPT, dump, target], { CHAT_MIGRATE_CMD: MIGRATE_CMD });
    expect(r.status).toBe(3);
    expect(r.out).toMatch(/is not empty/);
    expect(await query(target, 'SELECT count(*)::int AS n FROM messages')).toEqual(before);
  });

  it('refuses a file that is not a pg_dump archive, creating nothing', async () => {
    const junk = join(dir, 'junk.dump');
    writeFileSync(junk, 'not a dump');
    const target = newDatabaseUrl(server, 'chat_never');
    const r = run('bash', [RESTORE_SCRIPT, junk, target], { CHAT_MIGRATE_CMD: MIGRATE_CMD });
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/not a pg_dump -Fc archive/);
    const name = new URL(target).pathname.slice(1);
    expect(await query(source.url, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toEqual([]);
  });
});
