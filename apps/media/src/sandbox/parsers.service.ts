import { join } from 'node:path';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Metrics } from '@chat/platform';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { WorkerPool, type Job, type ParserOutcome } from './worker-pool';

/** The worker entry, next to this file both in the sources (jest) and in dist/ (build:server copies it). */
export const PARSER_WORKER = join(__dirname, 'parser-worker.mjs');

export interface ThumbnailJob {
  /** The decoder sharp must find: `png`, `jpeg`, `gif`, `webp`. */
  format: string;
  side: number;
  maxInputPixels: number;
}

/**
 * Every parser of untrusted bytes the media service runs, each in its own pool of worker threads
 * under a deadline and a heap budget (MEDIA_SNIFF_TIMEOUT_MS, MEDIA_THUMB_TIMEOUT_MS,
 * MEDIA_PARSER_MAX_HEAP_MB, MEDIA_PARSER_WORKERS, MEDIA_PARSER_QUEUE): type detection (file-type)
 * and image decoding for thumbnails (sharp). Two pools, so a burst of slow thumbnails never
 * delays the type check an upload waits for.
 */
@Injectable()
export class ParsersService implements OnModuleDestroy {
  private readonly sniffPool: WorkerPool;
  private readonly thumbPool: WorkerPool;
  private readonly thumbTimeoutSeconds: number;

  constructor(@Inject(MEDIA_CONFIG) config: MediaConfig, metrics: Metrics) {
    const p = config.media.parsers;
    const jobs: Counter<'parser' | 'outcome'> = metrics.counter(
      'media_parser_jobs_total',
      'Jobs of the sandboxed parsers by parser (sniff, thumbnail) and outcome (ok, failed, timeout, crashed, busy)',
      ['parser', 'outcome'],
    );
    const seconds: Histogram<'parser'> = metrics.histogram(
      'media_parser_job_seconds',
      'Time a sandboxed parser took per job, timeouts included',
      ['parser'],
      [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
    );
    const pool = (parser: 'sniff' | 'thumbnail', timeoutMs: number) =>
      new WorkerPool({
        name: parser,
        script: PARSER_WORKER,
        workerData: { parser, hangMarker: p.testHangMarker },
        size: p.workers,
        queueLimit: p.queueLimit,
        timeoutMs,
        maxHeapMb: p.maxHeapMb,
        onOutcome: (outcome: ParserOutcome, ms: number) => {
          jobs.inc({ parser, outcome });
          if (outcome !== 'busy') seconds.observe({ parser }, ms / 1000);
        },
      });
    this.sniffPool = pool('sniff', p.sniffTimeoutMs);
    this.thumbPool = pool('thumbnail', p.thumbTimeoutMs);
    this.thumbTimeoutSeconds = Math.max(1, Math.ceil(p.thumbTimeoutMs / 1000));
  }

  /** The MIME type file-type recognises in `head`, or null. Rejects with the pool's errors. */
  async sniff(head: Buffer): Promise<string | null> {
    return this.sniffPool.run<string | null>(() => copyJob({}, head));
  }

  /**
   * A webp thumbnail of the image `read` returns, or null when it returns null. `read` is called
   * only once a worker is free, so images waiting their turn are not held in memory.
   */
  async thumbnail(read: () => Promise<Buffer | null>, job: ThumbnailJob): Promise<Buffer | null> {
    const out = await this.thumbPool.run<Uint8Array>(async () => {
      const bytes = await read();
      return bytes ? copyJob({ ...job, timeoutSeconds: this.thumbTimeoutSeconds }, bytes) : null;
    });
    return out ? Buffer.from(out.buffer, out.byteOffset, out.byteLength) : null;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.sniffPool.close(), this.thumbPool.close()]);
  }
}

/**
 * The bytes in an ArrayBuffer of their own, handed over without a second copy. (Posting a Buffer
 * as it is would copy the whole ArrayBuffer under it, often a shared 8 KB pool or a larger body.)
 */
function copyJob(message: Record<string, unknown>, data: Buffer): Job {
  const bytes = new Uint8Array(data);
  return { message: { ...message, bytes }, transfer: [bytes.buffer] };
}
