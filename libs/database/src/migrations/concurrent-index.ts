import type { QueryRunner } from 'typeorm';

/** `CREATE [UNIQUE] INDEX CONCURRENTLY`, replacing an INVALID one left by an interrupted build. */
export async function createIndexConcurrently(
  q: QueryRunner,
  name: string,
  definition: string,
  opts: { unique?: boolean } = {},
): Promise<void> {
  const rows = (await q.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  )) as { valid: boolean }[];
  if (rows.length && rows[0].valid) return;
  if (rows.length) await q.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
  await q.query(
    `CREATE ${opts.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS "${name}" ${definition}`,
  );
}

/**
 * `DROP INDEX CONCURRENTLY` when run outside a transaction (the migration script reverts these
 * migrations that way); inside one (say `typeorm migration:revert` without `-t none`) a plain
 * DROP INDEX, which is brief but waits for the table's lock.
 */
export async function dropIndexConcurrently(q: QueryRunner, name: string): Promise<void> {
  if (q.isTransactionActive) await q.query(`DROP INDEX IF EXISTS "${name}"`);
  else await q.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
}
