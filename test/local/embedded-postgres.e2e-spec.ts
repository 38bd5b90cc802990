import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/lib/embedded';
import { alive, exited, nodeTs } from './support';

/** The embedded PostgreSQL itself: loopback only, and a crashed run never blocks the next start. */
jest.setTimeout(120_000);

describe('embedded PostgreSQL', () => {
  let dir: string;
  let pg: EmbeddedPostgres | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-embedded-pg-'));
  });
  afterEach(async () => {
    await pg?.stop();
    pg = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const query = async (url: string, sql: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  it('is PostgreSQL 17, UTF-8, listening on 127.0.0.1 only, password required', async () => {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'a') });
    const [row] = await query(
      pg.url,
      `SELECT current_setting('server_version_num')::int AS v, current_setting('server_encoding') AS enc,
              current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets`,
    );
    expect(row).toEqual({ v: expect.any(Number), enc: 'UTF8', listen: '127.0.0.1', sockets: '' });
    expect(Math.floor(row.v / 10000)).toBe(17);
    const wrong = new URL(pg.url);
    wrong.password = 'wrong';
    await expect(query(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('keeps its data across a stop and start, and stops fast', async () => {
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'b') });
    await query(pg.url, `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`);
    const pid = pg.pid;
    const t0 = Date.now();
    await pg.stop();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(alive(pid)).toBe(false);
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'b') });
    expect(await query(pg.url, 'SELECT x FROM kept')).toEqual([{ x: 42 }]);
  });

  it('starts after a crashed run: its server left running is stopped, a stale postmaster.pid removed', async () => {
    const dataDir = join(dir, 'c');
    const crashed = nodeTs('test/local/crash-then-start.ts', [dataDir], process.env);
    let out = '';
    crashed.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    await exited(crashed);
    const orphan = Number(out.trim());
    expect(orphan).toBeGreaterThan(0);
    expect(alive(orphan)).toBe(true); // the launcher died, its database did not

    const lines: string[] = [];
    pg = await startEmbeddedPostgres({ dataDir, log: (l) => lines.push(l) });
    expect(alive(orphan)).toBe(false);
    expect(lines.join('\n')).toMatch(/that a previous run left running/);
    await pg.stop();

    // A postmaster.pid naming a live process that is not a postgres on this directory (pid reuse
    // after a reboot): removed, and the start goes on.
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    lines.length = 0;
    pg = await startEmbeddedPostgres({ dataDir, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/removed a stale/);
    expect(await query(pg.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
