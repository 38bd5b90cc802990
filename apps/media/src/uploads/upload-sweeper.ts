import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Counter } from 'prom-client';
import { Metrics } from '@chat/platform';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { FilesRepository } from '../files/files.repository';
import { StorageService } from '../storage/storage.service';

const BATCH = 100;

/**
 * Removes uploads that never finished — direct uploads never completed, streamed uploads whose
 * process died — once they are MEDIA_UPLOAD_TTL_SECONDS old: their objects, then their rows.
 *
 * Every replica runs it. `FOR UPDATE SKIP LOCKED` gives each expired row to exactly one of them,
 * and the row stays locked until its objects are gone, so a `complete` racing the sweep waits and
 * then finds the upload expired instead of finishing a file whose bytes were just deleted. Ages
 * come from the database clock, so replica clocks may disagree.
 */
@Injectable()
export class UploadSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadSweeper.name);
  private readonly swept: Counter;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly files: FilesRepository,
    private readonly storage: StorageService,
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    metrics: Metrics,
  ) {
    this.swept = metrics.counter('media_pending_uploads_swept_total', 'Expired pending uploads removed');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.media.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return; // the previous sweep is still going: skip, don't pile up
    this.running = this.sweep()
      .then((n) => {
        if (n > 0) this.logger.log(`removed ${n} expired pending upload(s)`);
      })
      .catch((err: unknown) => this.logger.warn(`sweep failed, will retry: ${(err as Error).message}`))
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  /** One pass: removes expired pending uploads in batches; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.files.transaction(async (tx) => {
        const rows = await tx.expiredPending(this.config.media.uploadTtlSeconds, BATCH);
        if (rows.length === 0) return 0;
        // Objects first: if the store fails, the transaction rolls back and the rows wait for next time.
        await this.storage.remove(...rows.flatMap((r) => [r.objectKey, r.thumbKey]));
        await tx.deleteAll(rows.map((r) => r.id));
        return rows.length;
      });
      total += n;
      this.swept.inc(n);
      if (n < BATCH) return total;
    }
  }
}
