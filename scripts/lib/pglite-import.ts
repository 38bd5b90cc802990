import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
// Relative, not @chat/database: this runs from the built scripts and from jest alike.
import { dataSourceOptions } from '../../libs/database/src/data-source';
import { MIGRATIONS } from '../../libs/database/src/migrations';
import { EMBEDDED_MARKER, startEmbeddedPostgres } from './embedded';

/**
 * Before PostgreSQL, `npm start` kept its data in PGlite (Postgres compiled to WebAssembly, in the
 * launcher's process) in the same DATA_DIR/postgres. Such a directory looks like a Postgres data
 * directory, but no Postgres server started on it: it has no postmaster.opts (which a real server
 * writes at every start) and no marker of ours (EMBEDDED_MARKER, written when we initialise one).
 */
export function isPgliteDataDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'PG_VERSION')) &&
    existsSync(join(dir, 'base')) &&
    !existsSync(join(dir, EMBEDDED_MARKER)) &&
    !existsSync(join(dir, 'postmaster.opts'))
  );
}

/** The minimal PGlite interface the importer reads through. */
interface PgliteDb {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

const migrationName = (m: (typeof MIGRATIONS)[number]): string =>
  (new m() as { name?: string }).name ?? m.name;

export interface ImportResult {
  backupDir: string;
  rows: Record<string, number>;
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/**
 * Moves a PGlite data directory's contents into a real PostgreSQL data directory at the same path.
 *
 * A new server is initialised next to it (`<dir>.importing`), migrated to the schema version the old
 * data has, filled with every table's rows (foreign-key order, in batches, one transaction, row
 * counts verified before commit), then migrated to the current schema. Only then is the old
 * directory renamed to `<dir>.pglite-backup-<date>` and the new one put in its place. If anything
 * fails, the new directory is removed and the old one is left where it was, untouched by us, so the
 * next start tries again.
 */
export async function importPgliteDataDir(dir: string, log: (line: string) => void): Promise<ImportResult> {
  const importing = `${dir}.importing`;
  if (existsSync(importing)) {
    // A previous attempt was interrupted: its server (if still running) is stopped by the start.
    log(`removing ${importing} left by an interrupted import`);
    const leftover = await startEmbeddedPostgres({ dataDir: importing, log }).catch(() => undefined);
    await leftover?.stop();
    rmSync(importing, { recursive: true, force: true });
  }
  log(`found a PGlite data directory from an earlier version in ${dir}: copying it into PostgreSQL`);
  const started = Date.now();
  // Loaded only now: nothing else uses PGlite (a development dependency kept for this importer).
  const { PGlite } = (await import('@electric-sql/pglite')) as unknown as {
    PGlite: { create(dir: string): Promise<PgliteDb> };
  };
  let old: PgliteDb | undefined;
  let pg: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    try {
      old = await PGlite.create(dir);
    } catch (err) {
      throw new Error(`PGlite could not open it: ${(err as Error).message}`);
    }
    pg = await startEmbeddedPostgres({ dataDir: importing, log });
    const rows = await copyInto(old, pg.url, log);
    await old.close();
    old = undefined;
    await pg.stop();
    pg = undefined;
    const backupDir = `${dir}.pglite-backup-${stamp()}`;
    renameSync(dir, backupDir);
    renameSync(importing, dir);
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    log(
      `imported ${total} rows (${Object.entries(rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}) into PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
        `The old PGlite data is kept, unchanged, in ${backupDir}: delete it once you have checked your history.`,
    );
    return { backupDir, rows };
  } catch (err) {
    await old?.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    rmSync(importing, { recursive: true, force: true });
    throw new Error(
      `Could not move the chat history in ${dir} (PGlite, written by an earlier version) into PostgreSQL: ` +
        `${(err as Error).message}\nThat directory was left as it was. Fix the cause and start again, or move it ` +
        'away to start with an empty database.',
    );
  }
}

async function copyInto(
  old: PgliteDb,
  url: string,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  // The schema version the old data has: migrate the new database to exactly that, copy, then on.
  const hasTable = async (name: string) =>
    (
      await old.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = $1`,
        [name],
      )
    ).rows[0].n > 0;
  const applied = (await hasTable('typeorm_migrations'))
    ? (await old.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id')).rows.map(
        (r) => r.name,
      )
    : [];
  const known = new Set(MIGRATIONS.map(migrationName));
  const unknown = applied.filter((n) => !known.has(n));
  if (unknown.length)
    throw new Error(`it has migrations this version does not know (${unknown.join(', ')}): it is newer`);
  await runMigrations(
    url,
    MIGRATIONS.filter((m) => applied.includes(migrationName(m))),
  );

  const client = new Client({ connectionString: url });
  await client.connect();
  const counts: Record<string, number> = {};
  try {
    const tables = await tablesInForeignKeyOrder(client);
    await client.query('BEGIN');
    // Copy rows as they are: no triggers, and no foreign-key checks row by row (the tables go in
    // foreign-key order anyway; the source enforced them).
    await client.query(`SET LOCAL session_replication_role = replica`);
    for (const table of tables) {
      if (!(await hasTable(table))) continue;
      counts[table] = await copyTable(old, client, table);
      log(`  ${table}: ${counts[table]} rows`);
    }
    for (const table of tables) {
      if (!(table in counts)) continue;
      const before = (await old.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n;
      const after = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0]
        .n;
      if (before !== after) throw new Error(`${table}: ${before} rows in PGlite but ${after} copied`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
  await runMigrations(url, MIGRATIONS);
  return counts;
}

async function runMigrations(url: string, migrations: typeof MIGRATIONS): Promise<void> {
  const ds = new DataSource({ ...dataSourceOptions({ url, poolSize: 1 }), migrations });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}

/** The public tables (but the migrations table) with every table after those it references. */
async function tablesInForeignKeyOrder(client: Client): Promise<string[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations' ORDER BY 1`,
  );
  const { rows: refs } = await client.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'`,
  );
  const unquote = (s: string) => s.replace(/^"|"$/g, '');
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string) => {
    if (order.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const r of refs) if (unquote(r.child) === t && unquote(r.parent) !== t) visit(unquote(r.parent));
    order.push(t);
  };
  for (const t of tables) visit(t.name);
  return order;
}

async function copyTable(old: PgliteDb, client: Client, table: string): Promise<number> {
  const { rows: cols } = await client.query<{ name: string; type: string; identity: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity AS identity
       FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [`"${table}"`],
  );
  const oldCols = new Set(
    (
      await old.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      )
    ).rows.map((r) => r.name),
  );
  const copied = cols.filter((c) => oldCols.has(c.name));
  if (!copied.length) return 0;
  const overriding = copied.some((c) => c.identity === 'a') ? ' OVERRIDING SYSTEM VALUE' : '';
  const list = copied.map((c) => `"${c.name}"`).join(', ');
  // Every value as its text form: exact (microseconds, numerics, bytea), cast back by the server.
  const select = copied.map((c, i) => `"${c.name}"::text AS c${i}`).join(', ');
  const batch = Math.max(1, Math.min(1000, Math.floor(30_000 / copied.length)));
  let after = '(0,0)';
  let total = 0;
  for (;;) {
    const { rows } = await old.query<Record<string, string | null> & { ctid: string }>(
      `SELECT ctid::text AS ctid, ${select} FROM "${table}" WHERE ctid > $1::tid ORDER BY ctid LIMIT ${batch}`,
      [after],
    );
    if (!rows.length) break;
    const params: (string | null)[] = [];
    const values = rows.map(
      (row) =>
        `(${copied
          .map((c, i) => {
            params.push(row[`c${i}`]);
            return `$${params.length}::${c.type}`;
          })
          .join(', ')})`,
    );
    await client.query(`INSERT INTO "${table}" (${list})${overriding} VALUES ${values.join(', ')}`, params);
    total += rows.length;
    after = rows[rows.length - 1].ctid;
  }
  // Sequences behind serial/identity columns continue after the copied values.
  for (const c of copied) {
    const { rows } = await client.query<{ seq: string | null }>(
      `SELECT pg_get_serial_sequence($1, $2) AS seq`,
      [`"${table}"`, c.name],
    );
    const seq = rows[0]?.seq;
    if (seq) {
      await client.query(
        `SELECT setval($1, coalesce((SELECT max("${c.name}") FROM "${table}"), 1), (SELECT max("${c.name}") FROM "${table}") IS NOT NULL)`,
        [seq],
      );
    }
  }
  return total;
}
