import type { QueryRunner } from 'typeorm';

/** How long to keep trying for a moment when the tables are free (sends are short transactions). */
const NOWAIT_FOR_MS = 120_000;

/** PostgreSQL's lock_not_available: a NOWAIT lock that was not free at once. */
const LOCK_NOT_AVAILABLE = '55P03';

export interface TableLock {
  table: string;
  mode: 'ACCESS EXCLUSIVE' | 'SHARE ROW EXCLUSIVE';
}

/**
 * Runs `work` (catalog-only DDL such as ADD COLUMN without a default, or creating a foreign key
 * to an empty table) in a transaction holding `locks`, taken with NOWAIT and retried with backoff
 * until they are free at once. A plain ALTER TABLE would queue its ACCESS EXCLUSIVE request
 * behind any long transaction on the table, and every send would queue behind that request for as
 * long as it waits; NOWAIT never queues, so sends are held only for the milliseconds the catalog
 * change takes. Inside an enclosing transaction (a revert run with `transaction: 'each'`) each
 * attempt is a savepoint. Throws, naming the table, if no free moment came within NOWAIT_FOR_MS.
 */
export async function withBriefLocks(
  q: QueryRunner,
  locks: readonly TableLock[],
  work: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + NOWAIT_FOR_MS;
  for (let attempt = 0; ; attempt++) {
    await q.startTransaction();
    try {
      for (const { table, mode } of locks) await q.query(`LOCK TABLE ${table} IN ${mode} MODE NOWAIT`);
      await work();
      await q.commitTransaction();
      return;
    } catch (err) {
      await q.rollbackTransaction();
      if (!isLockNotAvailable(err)) throw err;
      if (Date.now() > deadline)
        throw new Error(
          `${locks.map((l) => l.table).join(', ')} had no moment without a conflicting transaction for ` +
            `${NOWAIT_FOR_MS / 1000} s; run the migration again`,
        );
      // 10 ms doubling to 1 s, jittered, so retries do not fall in step with a periodic writer.
      const wait = Math.min(1000, 10 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function isLockNotAvailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e.code === LOCK_NOT_AVAILABLE || e.driverError?.code === LOCK_NOT_AVAILABLE;
}
