import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';
import { AuditRepository } from '@chat/security';

/** pg_try_advisory_xact_lock key: one replica sweeps the audit log at a time (arbitrary, fixed). */
const RETENTION_LOCK = 7_364_120_002;

/** The retention sweep's statements: its lock, and the audit log's own prune in the same transaction. */
@Injectable()
export class AuditRetentionRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: AuditRetentionRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new AuditRetentionRepository(sql)));
  }

  /**
   * The sweep lock, held until the transaction ends; false at once when another replica holds it
   * (transaction-level, so a crash cannot leave it held).
   */
  async tryLock(): Promise<boolean> {
    const row = await this.sql.one<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
      RETENTION_LOCK,
    ]);
    return row!.locked;
  }

  /** Deletes up to `batch` entries older than `days` days (the audit log's one delete statement). */
  prune(days: number, batch: number): Promise<number> {
    return new AuditRepository(this.sql).prune(days, batch);
  }
}
