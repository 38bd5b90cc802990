import type { EntityManager } from 'typeorm';

/**
 * Locks the user's quota for the rest of the transaction and returns the bytes they hold: finished
 * files plus pending uploads (a direct upload reserves its declared size when it is created).
 * The transaction-scoped advisory lock serializes one user's uploads across every replica, so two
 * concurrent uploads cannot both fit into the same remaining space.
 */
export async function lockQuota(tx: EntityManager, userId: string, excludeFileId?: string): Promise<number> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('media-quota:' || $1, 0))`, [userId]);
  const rows: { used: string }[] = await tx.query(
    `SELECT COALESCE(SUM(size), 0)::text AS used FROM files WHERE uploaded_by = $1 AND id <> $2`,
    [userId, excludeFileId ?? '00000000-0000-0000-0000-000000000000'],
  );
  return Number(rows[0].used);
}

/** Bytes held without locking, for an early estimate of the room left. */
export async function bytesHeld(db: Pick<EntityManager, 'query'>, userId: string): Promise<number> {
  const rows: { used: string }[] = await db.query(
    `SELECT COALESCE(SUM(size), 0)::text AS used FROM files WHERE uploaded_by = $1`,
    [userId],
  );
  return Number(rows[0].used);
}
