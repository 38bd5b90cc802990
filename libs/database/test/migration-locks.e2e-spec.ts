import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions, revertLastMigration } from '@chat/database';
import { freshDatabase } from '../../../test/support/database';

/**
 * No migration may take a lock on `messages` that stops sends while it runs: on a big table a plain
 * CREATE INDEX (SHARE) or an ALTER TABLE (ACCESS EXCLUSIVE) holds every send for the whole deploy.
 *
 * For each migration that runs on an existing `messages` table: migrate a database to just before
 * it, seed messages, hold a send open in a transaction of its own (so any write-blocking lock
 * request has to queue, and shows in pg_locks however short the work is), run the migration, and
 * meanwhile (a) watch pg_locks for a lock on `messages` requested by the migrating backend in a mode
 * that conflicts with inserts, and (b) send from a third connection with lock_timeout 1 s. Then the
 * same for its revert.
 */

/** Lock modes that conflict with ROW EXCLUSIVE, the lock an INSERT takes. */
const WRITE_BLOCKING = ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];

async function client(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

function dataSource(url: string, upTo: number): DataSource {
  return new DataSource({
    ...dataSourceOptions({ url, poolSize: 1 }),
    migrations: MIGRATIONS.slice(0, upTo),
  });
}

async function seed(c: Client, rows: number): Promise<{ channel: string; author: string }> {
  const {
    rows: [u],
  } = await c.query<{ id: string }>(
    `INSERT INTO users (username, password_hash) VALUES ('lock_' || left(md5(random()::text), 20), 'x') RETURNING id`,
  );
  const {
    rows: [ch],
  } = await c.query<{ id: string }>(
    `INSERT INTO channels (name, kind, created_by) VALUES ('lock-' || left(md5(random()::text), 20), 'private', $1) RETURNING id`,
    [u.id],
  );
  await c.query(
    `INSERT INTO messages (channel_id, seq, author_id, body, created_at)
     SELECT $1, g, $2, 'message number ' || g, now() - (g || ' seconds')::interval FROM generate_series(1, $3) g`,
    [ch.id, u.id, rows],
  );
  await c.query(`UPDATE channels SET last_seq = $2 WHERE id = $1`, [ch.id, rows]);
  await c.query(`ANALYZE messages`);
  return { channel: ch.id, author: u.id };
}

/** Sequence numbers of the sends made during the runs (above the seeded ones). */
const seqs = { next: 1_000_000 };

interface Observed {
  /** Write-blocking lock modes on messages requested (granted or waiting) by the migrating backend. */
  blocking: string[];
  /** What the send made during the migration answered: 'ok' or the error. */
  send: string;
}

/** Runs `work` on the backend `pid` of `ds` while a send is held open and another is attempted. */
async function observe(
  url: string,
  pid: number,
  seeded: { channel: string; author: string },
  work: () => Promise<unknown>,
): Promise<Observed> {
  const [holder, watcher, sender] = await Promise.all([client(url), client(url), client(url)]);
  const sendOne = (c: Client) =>
    c.query(
      `INSERT INTO messages (channel_id, seq, author_id, body) VALUES ($1, $2, $3, 'during the deploy')`,
      [seeded.channel, seqs.next++, seeded.author],
    );
  try {
    await holder.query('BEGIN');
    await sendOne(holder);
    const blocking = new Set<string>();
    let done = false;
    const running = work().finally(() => (done = true));
    running.catch(() => undefined);
    // Give the migration time to request its locks while the held send keeps them from being
    // granted: a conflicting request queues and stays visible.
    const until = Date.now() + 1500;
    while (!done && Date.now() < until) {
      const { rows } = await watcher.query<{ mode: string }>(
        `SELECT l.mode FROM pg_locks l WHERE l.pid = $1 AND l.locktype = 'relation' AND l.relation = 'messages'::regclass`,
        [pid],
      );
      for (const r of rows) if (WRITE_BLOCKING.includes(r.mode)) blocking.add(r.mode);
      await new Promise((r) => setTimeout(r, 10));
    }
    let send = 'ok';
    await sender.query(`SET lock_timeout = '1s'`);
    try {
      await sendOne(sender);
    } catch (err) {
      send = (err as Error).message;
    }
    await holder.query('COMMIT');
    await running;
    return { blocking: [...blocking], send };
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await Promise.all([holder.end(), watcher.end(), sender.end()]);
  }
}

describe('migrations and locks on messages', () => {
  const messagesCreatedBy = MIGRATIONS.findIndex((m) => m.name.startsWith('Init'));
  const later = MIGRATIONS.map((m, i) => ({ name: m.name, index: i })).filter(
    (m) => m.index > messagesCreatedBy,
  );

  it.each(later)(
    '$name neither blocks sends while it runs nor while it is reverted',
    async ({ index }) => {
      const db = await freshDatabase();
      try {
        // Back to just before this migration.
        const all = dataSource(db.url, MIGRATIONS.length);
        await all.initialize();
        try {
          for (let i = MIGRATIONS.length; i > index; i--) await revertLastMigration(all);
        } finally {
          await all.destroy();
        }
        const c = await client(db.url);
        const seeded = await seed(c, 50_000);
        await c.end();

        const ds = dataSource(db.url, index + 1);
        await ds.initialize();
        try {
          const [{ pid }] = await ds.query(`SELECT pg_backend_pid() AS pid`);
          const up = await observe(db.url, pid, seeded, () => ds.runMigrations({ transaction: 'each' }));
          expect({ step: 'up', ...up }).toEqual({ step: 'up', blocking: [], send: 'ok' });
          expect(await ds.showMigrations()).toBe(false);
          const down = await observe(db.url, pid, seeded, () => revertLastMigration(ds));
          expect({ step: 'down', ...down }).toEqual({ step: 'down', blocking: [], send: 'ok' });
        } finally {
          await ds.destroy();
        }
      } finally {
        await db.drop();
      }
    },
    60_000,
  );

  it('replaces an INVALID recency index left by an interrupted concurrent build', async () => {
    const db = await freshDatabase();
    const c = await client(db.url);
    try {
      const all = dataSource(db.url, MIGRATIONS.length);
      await all.initialize();
      const index = MIGRATIONS.findIndex((m) => m.name.startsWith('MessagesRecencyIndex'));
      try {
        for (let i = MIGRATIONS.length; i > index; i--) await revertLastMigration(all);
      } finally {
        await all.destroy();
      }
      const seeded = await seed(c, 1000);
      // Interrupt a concurrent build: it waits for the open send, and is cancelled there.
      const holder = await client(db.url);
      const builder = await client(db.url);
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO messages (channel_id, seq, author_id, body) VALUES ($1, 999999, $2, 'x')`,
        [seeded.channel, seeded.author],
      );
      const {
        rows: [{ pid }],
      } = await builder.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      const build = builder
        .query(
          `CREATE INDEX CONCURRENTLY messages_created_at_seq_idx ON messages (created_at DESC, seq DESC)`,
        )
        .catch((err: Error) => err.message);
      await new Promise((r) => setTimeout(r, 500));
      await c.query(`SELECT pg_cancel_backend($1)`, [pid]);
      expect(await build).toMatch(/cancel/);
      await holder.query('ROLLBACK');
      await Promise.all([holder.end(), builder.end()]);
      const validity = async () =>
        (
          await c.query<{ valid: boolean }>(
            `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE x.relname = 'messages_created_at_seq_idx'`,
          )
        ).rows.map((r) => r.valid);
      expect(await validity()).toEqual([false]);

      const ds = dataSource(db.url, MIGRATIONS.length);
      await ds.initialize();
      try {
        await ds.runMigrations({ transaction: 'each' });
      } finally {
        await ds.destroy();
      }
      expect(await validity()).toEqual([true]);
    } finally {
      await c.end();
      await db.drop();
    }
  }, 60_000);
});
