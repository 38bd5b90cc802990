import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { FileInfo } from '@chat/contracts';
import { toFileDto } from '@chat/domain';
import { AppError, EVENT_BUS, Metrics, type EventBus } from '@chat/platform';
import type { Principal } from '@chat/security';
import { AccessService } from '../access/access.service';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { StorageService } from '../storage/storage.service';
import { contentDisposition, withExtension } from './file-name';
import { FileErrors } from './files.errors';
import { FilesRepository, type StoredFile } from './files.repository';
import { contentTypeHeader, isInlineImage } from './media-types';
import { parseRange } from './range';

export interface DownloadOptions {
  inline: boolean;
  thumb: boolean;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
}

export type DownloadVariant = 'original' | 'inline' | 'thumb';

/** What a download answers; the controller writes it (see download-response.ts). */
export type Download =
  | { kind: 'redirect'; location: string; headers: Record<string, string> }
  | { kind: 'not-modified'; headers: Record<string, string> }
  | { kind: 'unsatisfiable'; headers: Record<string, string> }
  | {
      kind: 'content';
      status: 200 | 206;
      headers: Record<string, string>;
      body: Readable;
      /** Called once the body is done, with the bytes sent and whether all of them were. */
      onEnd(bytes: number, complete: boolean): void;
    };

const THUMB_TYPE = 'image/webp';
/**
 * Per-user answers: shared caches must not keep them, and the browser revalidates every time, so a
 * member removed from the channel stops seeing the file at once (a 304 is cheap).
 */
const CACHE_CONTROL = 'private, no-cache';
/** A downloaded file must never run as a page of our origin, whatever it contains. */
const DOWNLOAD_CSP = "default-src 'none'; sandbox";

/** Reading and deleting files: metadata, bytes (proxied or by redirect), thumbnails. */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly downloads: Counter<'variant' | 'outcome'>;
  private readonly downloadBytes: Counter<'variant'>;

  constructor(
    private readonly files: FilesRepository,
    private readonly access: AccessService,
    private readonly storage: StorageService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    metrics: Metrics,
  ) {
    this.downloads = metrics.counter('media_downloads_total', 'File downloads by variant and outcome', [
      'variant',
      'outcome',
    ]);
    this.downloadBytes = metrics.counter(
      'media_download_bytes_total',
      'Bytes of files streamed to clients (redirected downloads are not counted)',
      ['variant'],
    );
  }

  async meta(user: Principal, id: string): Promise<FileInfo> {
    return toFileDto(await this.readable(user, id));
  }

  async download(user: Principal, id: string, opts: DownloadOptions): Promise<Download> {
    let variant: DownloadVariant = opts.thumb ? 'thumb' : 'original';
    try {
      const file = await this.readable(user, id);
      if (variant === 'original' && opts.inline && isInlineImage(file.contentType)) variant = 'inline';
      const answer = await this.answer(file, variant, opts);
      if (answer.kind !== 'content') this.downloads.inc({ variant, outcome: answer.kind });
      return answer;
    } catch (err) {
      this.downloads.inc({ variant, outcome: outcomeOf(err) });
      throw err;
    }
  }

  /**
   * The uploader, a moderator or an admin deletes a file: its object and thumbnail first, then its
   * row, so a failure leaves a file that can be deleted again rather than an unreachable object.
   * Moderators and admins may delete files of channels they are not in (moderation), but not in a DM,
   * which only its two members see; members may see the file and so are told 403; anyone else gets
   * the usual 404 (the access rule, @chat/domain).
   */
  async remove(user: Principal, id: string): Promise<void> {
    const file = await this.files.findById(id);
    if (!file) throw FileErrors.notFound();
    const verdict = await this.access.canDelete(user, file);
    if (!verdict.allowed) {
      // Someone else's unfinished upload is not a file anyone else can see yet.
      const visible = verdict.code === 'FORBIDDEN' && file.status === 'ready';
      throw visible ? FileErrors.deleteForbidden() : FileErrors.notFound();
    }
    await this.storage.remove(file.objectKey, file.thumbKey);
    const deleted = await this.files.delete(id);
    // Someone else deleted it meanwhile: the event is theirs to send.
    if (!deleted) return;
    try {
      // messageId as of the delete (the file may have been attached since we read it).
      await this.bus.publish('file.deleted', {
        fileId: file.id,
        channelId: file.channelId,
        messageId: deleted.messageId,
      });
    } catch (err) {
      // The file is gone either way; the gateway shows it gone on the next fetch of the message.
      this.logger.error({ err, fileId: id }, 'could not publish file.deleted');
    }
  }

  /** A finished file the caller may read (uploader or current member), else 404. */
  private async readable(user: Principal, id: string): Promise<StoredFile> {
    const file = await this.files.findReady(id);
    if (!file || !(await this.access.canRead(user, file))) throw FileErrors.notFound();
    return file;
  }

  private async answer(file: StoredFile, variant: DownloadVariant, opts: DownloadOptions): Promise<Download> {
    const thumb = variant === 'thumb';
    if (thumb && !file.thumbKey) throw FileErrors.noThumbnail();
    const key = thumb ? file.thumbKey! : file.objectKey;
    const type = thumb ? THUMB_TYPE : file.contentType;
    const disposition = contentDisposition(
      variant === 'original' ? 'attachment' : 'inline',
      thumb ? withExtension(file.name, 'webp') : file.name,
    );

    if (this.config.media.publicUrl) {
      const ttl = this.config.media.downloadUrlTtlSeconds;
      const location = await this.storage.presignGet(
        key,
        {
          contentType: contentTypeHeader(type),
          contentDisposition: disposition,
          cacheControl: `private, max-age=${ttl}`,
        },
        ttl,
      );
      // The redirect itself expires with the URL: nobody may keep it.
      return { kind: 'redirect', location, headers: { 'Cache-Control': 'no-store' } };
    }

    // Files never change (a new upload is a new id), so the id is a strong validator.
    const etag = thumb ? `"${file.id}.thumb"` : `"${file.id}"`;
    const lastModified = file.createdAt.toUTCString();
    const validators = { ETag: etag, 'Last-Modified': lastModified, 'Cache-Control': CACHE_CONTROL };
    if (opts.ifNoneMatch && matchesEtag(opts.ifNoneMatch, etag)) {
      return { kind: 'not-modified', headers: validators };
    }

    // Thumbnails are small and their size is not recorded: always whole.
    const honourRange =
      !thumb && (!opts.ifRange || opts.ifRange.trim() === etag || opts.ifRange.trim() === lastModified);
    const range = honourRange ? parseRange(opts.range, file.size) : { kind: 'full' as const };
    if (range.kind === 'unsatisfiable') {
      return {
        kind: 'unsatisfiable',
        headers: { ...validators, 'Content-Range': `bytes */${file.size}`, 'Accept-Ranges': 'bytes' },
      };
    }

    const partial = range.kind === 'partial';
    const obj = await this.storage.read(key, partial ? range : undefined);
    if (!obj) {
      this.logger.warn(`object ${key} of file ${file.id} is missing from the store`);
      throw FileErrors.notFound();
    }
    const headers: Record<string, string> = {
      ...validators,
      'Content-Type': contentTypeHeader(type),
      'Content-Length': String(obj.length),
      'Content-Disposition': disposition,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': DOWNLOAD_CSP,
    };
    if (!thumb) headers['Accept-Ranges'] = 'bytes';
    if (partial) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${file.size}`;
    return {
      kind: 'content',
      status: partial ? 206 : 200,
      headers,
      body: obj.body,
      onEnd: (bytes, complete) => {
        this.downloadBytes.inc({ variant }, bytes);
        this.downloads.inc({ variant, outcome: complete ? (partial ? 'partial' : 'ok') : 'aborted' });
      },
    };
  }
}

/** If-None-Match: `*` or a list of (possibly weak) tags; weak comparison, as RFC 9110 asks. */
function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function outcomeOf(err: unknown): string {
  if (err instanceof AppError) return err.code.toLowerCase();
  return 'error';
}
