import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import sharp from 'sharp';
import { Metrics } from '@chat/platform';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { ParsersService } from '../sandbox/parsers.service';
import { thumbObjectKey } from '../storage/object-keys';
import { StorageService } from '../storage/storage.service';

/** Detected types we make thumbnails of, and the decoder sharp must find for each. */
const SOURCES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

export interface ThumbnailSource {
  id: string;
  channelId: string;
  objectKey: string;
  contentType: string;
}

/**
 * Thumbnails of uploaded images: webp (small, keeps transparency), longest side MEDIA_THUMB_MAX_SIDE,
 * EXIF orientation applied. Decoding runs in a worker (ParsersService) under MEDIA_THUMB_TIMEOUT_MS
 * and a pixel limit. Best effort: any failure (a pixel bomb over the limit, a corrupt image, a
 * decoder past its deadline, every worker busy, the store) is logged and the file simply has no
 * thumbnail; it never fails the upload.
 */
@Injectable()
export class ThumbnailsService {
  private readonly logger = new Logger(ThumbnailsService.name);
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly storage: StorageService,
    private readonly parsers: ParsersService,
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    metrics: Metrics,
  ) {
    // sharp's native libraries must be loaded by the main thread before any worker loads them (on
    // glibc they stay loaded until the process exits; a worker-first load can crash at its exit).
    sharp.cache(false);
    this.outcomes = metrics.counter('media_thumbnails_total', 'Thumbnail generation by outcome', ['outcome']);
  }

  /** Makes and stores the thumbnail; its key, or null when the file gets none. */
  async generate(file: ThumbnailSource): Promise<string | null> {
    const format = SOURCES[file.contentType];
    if (!format) return null;
    try {
      const thumb = await this.parsers.thumbnail(() => this.storage.readBytes(file.objectKey), {
        format,
        side: this.config.media.thumbMaxSide,
        maxInputPixels: this.config.media.thumbMaxInputPixels,
      });
      if (!thumb) return null;
      const key = thumbObjectKey(file.channelId, file.id);
      await this.storage.put(key, thumb, 'image/webp');
      this.outcomes.inc({ outcome: 'ok' });
      return key;
    } catch (err) {
      this.outcomes.inc({ outcome: 'failed' });
      this.logger.warn(`no thumbnail for file ${file.id}: ${(err as Error).message}`);
      return null;
    }
  }
}
