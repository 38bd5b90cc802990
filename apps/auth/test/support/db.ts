import type { Sql } from '@chat/database';

interface Transactional<Tx> {
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Opens a transaction of `repo`, runs `take` (a statement that locks something) in it, and keeps the
 * transaction open until `release()`: how a spec makes a second transaction meet a held lock.
 */
export async function holdInTransaction<Tx, R>(
  repo: Transactional<Tx>,
  take: (tx: Tx) => Promise<R>,
): Promise<{ taken: R; release(): Promise<void> }> {
  let taken!: (r: R) => void;
  const took = new Promise<R>((resolve) => (taken = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = repo.transaction(async (tx) => {
    taken(await take(tx));
    await released;
  });
  const ended = done.then(() => Promise.reject(new Error('the transaction ended before taking its lock')));
  return {
    taken: await Promise.race([took, ended]),
    release: async () => {
      release();
      await done;
    },
  };
}

export async function sessionRevokedAt(sql: Sql, sessionId: string): Promise<Date | null | undefined> {
  const row = await sql.one<{ revoked_at: Date | null }>(
    'SELECT revoked_at FROM login_sessions WHERE id = $1',
    [sessionId],
  );
  return row?.revoked_at;
}

/** Whether `promise` is still unsettled after `ms` (waiting on a lock, say). */
export async function stillPending(promise: Promise<unknown>, ms = 200): Promise<boolean> {
  const timedOut = Symbol('timed out');
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  return (await Promise.race([settled, new Promise((r) => setTimeout(() => r(timedOut), ms))])) === timedOut;
}
