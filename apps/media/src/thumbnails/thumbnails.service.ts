import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import sharp from 'sharp';
import { Metrics } from '@chat/platform';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { thumbObjectKey } from '../storage/object-keys';
import { StorageService } from '../storage/storage.service';

/** Detected types we make thumbnails of, and the decoder sharp must find for each. */
const SOURCES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};
/** Thumbnails made at once per replica: decoding is CPU and memory heavy, bursts wait their turn. */
const CONCURRENCY = 2;
const TIMEOUT_SECONDS = 20;

export interface ThumbnailSource {
  id: string;
  channelId: string;
  objectKey: string;
  contentType: string;
}

/**
 * Thumbnails of uploaded images: webp (small, keeps transparency), longest side MEDIA_THUMB_MAX_SIDE,
 * EXIF orientation applied. Best effort: any failure (a pixel bomb over the limit, a corrupt image,
 * the store) is logged and the file simply has no thumbnail; it never fails the upload.
 */
@Injectable()
export class ThumbnailsService {
  private readonly logger = new Logger(ThumbnailsService.name);
  private readonly outcomes: Counter<'outcome'>;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly storage: StorageService,
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    metrics: Metrics,
  ) {
    // libvips' operation cache helps repeated work on the same image, which a media server never does.
    sharp.cache(false);
    this.outcomes = metrics.counter('media_thumbnails_total', 'Thumbnail generation by outcome', ['outcome']);
  }

  /** Makes and stores the thumbnail; its key, or null when the file gets none. */
  async generate(file: ThumbnailSource): Promise<string | null> {
    const format = SOURCES[file.contentType];
    if (!format) return null;
    await this.acquire();
    try {
      const input = await this.storage.readBytes(file.objectKey);
      if (!input) return null;
      const image = sharp(input, {
        // Checked against the header before decoding: a 100 kB PNG claiming 100k×100k pixels stops here.
        limitInputPixels: this.config.media.thumbMaxInputPixels,
        failOn: 'error',
        animated: false,
      });
      const meta = await image.metadata();
      // sharp also decodes SVG, TIFF, HEIF…: only ever feed it what the bytes were detected as.
      if (meta.format !== format)
        throw new Error(`decoder ${meta.format} does not match ${file.contentType}`);
      const side = this.config.media.thumbMaxSide;
      const thumb = await image
        .rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .timeout({ seconds: TIMEOUT_SECONDS })
        .toBuffer();
      const key = thumbObjectKey(file.channelId, file.id);
      await this.storage.put(key, thumb, 'image/webp');
      this.outcomes.inc({ outcome: 'ok' });
      return key;
    } catch (err) {
      this.outcomes.inc({ outcome: 'failed' });
      this.logger.warn(`no thumbnail for file ${file.id}: ${(err as Error).message}`);
      return null;
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < CONCURRENCY) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
