import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Periodic } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AuditRetentionRepository } from './audit-retention.repository';

/** How often the sweep runs: entries are kept for days, so an hour late costs nothing. */
const INTERVAL_MS = 3600 * 1000;
/** Entries per batch: each batch is one short transaction, so a backlog never holds many row locks long. */
export const AUDIT_RETENTION_BATCH = 1000;

export interface RetentionResult {
  deleted: number;
  /** False when another replica held the sweep lock, so this run did nothing. */
  ran: boolean;
}

/**
 * Deletes audit entries older than AUDIT_RETENTION_DAYS, hourly, in batches, one auth replica at a
 * time (a transaction-level advisory lock per batch, as in sessions/session-cleanup.ts). The table's
 * trigger refuses deleting entries younger than a day, and the retention is at least a day, so this
 * sweep is the only way entries leave the log.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('AuditRetention');
  private readonly periodic = new Periodic(
    INTERVAL_MS,
    () => this.runOnce(),
    (err: unknown) =>
      this.log.warn(`audit retention sweep failed, retried in an hour: ${(err as Error).message}`),
  );

  constructor(
    private readonly repo: AuditRetentionRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** One sweep: batches until nothing old is left (or stopping, or another replica sweeps). */
  async runOnce(batch = AUDIT_RETENTION_BATCH): Promise<RetentionResult> {
    const days = this.config.audit.retentionDays;
    const total: RetentionResult = { deleted: 0, ran: false };
    for (;;) {
      const deleted = await this.repo.transaction(async (tx) =>
        (await tx.tryLock()) ? tx.prune(days, batch) : undefined,
      );
      if (deleted === undefined) break;
      total.ran = true;
      total.deleted += deleted;
      if (deleted < batch || this.periodic.isStopped) break;
    }
    if (total.deleted) this.log.log(`deleted ${total.deleted} audit entries older than ${days} days`);
    return total;
  }
}
