import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_MARKER } from '../../scripts/lib/embedded';
import { request } from '../support/apps';
import { BOB, DM, FILE, GENERAL, M2, PASSWORD } from './pglite-fixture';
import { alive, exited, nodeTs, postmasterPid, startLocalProcess, type LocalProcess } from './support';

/**
 * Upgrading from the PGlite default loses nobody's history: a data directory PGlite wrote (with
 * the schema of the first migration, as an older version left it) is copied into the embedded
 * PostgreSQL on the first start, and everything reads back through the API. `npm start` runs as
 * a process here (PGlite cannot load inside a jest worker).
 */
jest.setTimeout(180_000);

describe('first start on a data directory of the PGlite default', () => {
  let dataDir: string;
  let stack: LocalProcess | undefined;
  const start = async () => {
    stack = await startLocalProcess(dataDir);
    return stack;
  };
  const stop = async () => {
    const pid = postmasterPid(dataDir);
    expect(await stack!.stop()).toBeLessThan(10_000);
    stack = undefined;
    if (pid) expect(alive(pid)).toBe(false);
  };
  const login = async (base: string, username: string) => {
    const res = await request(base, 'POST', '/auth/login', { body: { username, password: PASSWORD } });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chat-pglite-upgrade-'));
    const fixture = nodeTs('test/local/pglite-fixture.ts', [join(dataDir, 'postgres')], process.env);
    let err = '';
    fixture.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    expect([await exited(fixture), err]).toEqual([0, expect.anything()]);
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies every row into PostgreSQL, keeps the old directory as a backup, and the history reads back', async () => {
    const { url, output } = await start();
    const lines = [output()];
    const backups = readdirSync(dataDir).filter((n) => n.startsWith('postgres.pglite-backup-'));
    expect(backups).toHaveLength(1);
    expect(existsSync(join(dataDir, 'postgres.importing'))).toBe(false);
    expect(existsSync(join(dataDir, 'postgres', EMBEDDED_MARKER))).toBe(true);
    expect(lines.join('\n')).toContain(join(dataDir, backups[0]));
    expect(lines.join('\n')).toMatch(/imported 13 rows/);

    const alice = await login(url, 'alice_old');
    const channels = await request(url, 'GET', '/channels', { token: alice });
    expect(channels.status).toBe(200);
    const general = channels.body.find((c: { id: string }) => c.id === GENERAL);
    expect(general).toMatchObject({ name: 'general_old', kind: 'public', topic: 'Kept across the upgrade' });
    expect(channels.body.map((c: { id: string }) => c.id).sort()).toEqual([GENERAL, DM].sort());

    const history = await request(url, 'GET', `/channels/${GENERAL}/messages`, { token: alice });
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m: { seq: number; body: string }) => [m.seq, m.body])).toEqual([
      [1, 'first message 🎉'],
      [2, 'here is the plan'],
      [3, 'see you tomorrow'],
    ]);
    const [first, second] = history.body.messages;
    expect(first.createdAt).toBe('2026-01-02T03:10:00.000Z');
    expect(second).toMatchObject({
      id: M2,
      clientId: 'c2',
      editedAt: '2026-01-02T03:12:00.000Z',
      author: { id: BOB, username: 'bob_old' },
    });
    expect(second.attachments).toEqual([
      expect.objectContaining({ id: FILE, name: 'plan.pdf', size: 12345, contentType: 'application/pdf' }),
    ]);
    // Search works on the copy (the search column is generated again by PostgreSQL).
    const found = await request(url, 'GET', `/search?q=plan`, { token: alice });
    expect(found.status).toBe(200);
    expect(found.body.messages.map((m: { id: string }) => m.id)).toContain(M2);

    const bob = await login(url, 'bob_old');
    const dm = await request(url, 'GET', `/channels/${DM}/messages`, { token: bob });
    expect(dm.body.messages.map((m: { body: string }) => m.body)).toEqual(['psst, just us']);

    // The channel's sequence carries on where PGlite left it.
    const sent = await request(url, 'POST', `/channels/${GENERAL}/messages`, {
      token: alice,
      body: { body: 'after' },
    });
    expect([sent.status, sent.body.seq]).toEqual([201, 4]);
    await stop();
  });

  it('starts on the imported data next time without importing again', async () => {
    const { url, output } = await start();
    expect(output()).not.toMatch(/PGlite/);
    const alice = await login(url, 'alice_old');
    const history = await request(url, 'GET', `/channels/${GENERAL}/messages`, { token: alice });
    expect(history.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4]);
    await stop();
  });

  it('leaves a PGlite directory it cannot read where it was, and stops with a clear message', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'chat-pglite-broken-'));
    try {
      const pgDir = join(broken, 'postgres');
      mkdirSync(join(pgDir, 'base'), { recursive: true });
      writeFileSync(join(pgDir, 'PG_VERSION'), '17\n');
      writeFileSync(join(pgDir, 'base', 'junk'), 'not a database');
      const failed = await startLocalProcess(broken).then(
        async (p) => {
          await p.stop();
          return 'it started';
        },
        (err: Error) => err.message,
      );
      expect(failed).toMatch(/npm start exited \(1\)/);
      expect(failed).toMatch(
        /Could not move the chat history in .*postgres .*That directory was left as it was/s,
      );
      expect(readdirSync(broken).sort()).toEqual(['postgres']);
      expect(readdirSync(pgDir).sort()).toEqual(expect.arrayContaining(['PG_VERSION', 'base']));
      expect(existsSync(join(pgDir, EMBEDDED_MARKER))).toBe(false);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
