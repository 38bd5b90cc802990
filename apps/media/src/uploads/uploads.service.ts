import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { Counter } from 'prom-client';
import type { FileInfo, PresignedUpload } from '@chat/contracts';
import type { CreateUploadDto } from '@chat/contracts/dto';
import { toFileDto } from '@chat/domain';
import { AppError, Metrics } from '@chat/platform';
import type { Principal } from '@chat/security';
import { AccessService } from '../access/access.service';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { sanitizeFileName } from '../files/file-name';
import { FilesRepository, type StoredFile } from '../files/files.repository';
import { isAllowedType, normalizeMime, TEXT_PLAIN } from '../files/media-types';
import { fileObjectKey } from '../storage/object-keys';
import { StorageService } from '../storage/storage.service';
import { ParsersService } from '../sandbox/parsers.service';
import { ParserBusyError } from '../sandbox/worker-pool';
import { ThumbnailsService } from '../thumbnails/thumbnails.service';
import { ContentInspector, SNIFF_BYTES } from './content-inspector';
import { abandonRequestBody, MULTIPART_OVERHEAD_BYTES, receiveFile, type FilePart } from './multipart';
import { UploadErrors } from './uploads.errors';

type Mode = 'stream' | 'direct';

/**
 * Getting bytes in: streamed multipart uploads through this service, and direct uploads to the
 * store with a presigned PUT that `complete` then verifies.
 *
 * A streamed upload writes a 'pending' row before the first byte goes to the store: if the process
 * dies mid-way, the sweeper finds the row and removes whatever was stored. The row turns 'ready'
 * only once the object is complete, so no one ever sees half a file.
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger(UploadsService.name);
  private readonly uploads: Counter<'mode' | 'outcome'>;
  private readonly uploadBytes: Counter<'mode'>;

  constructor(
    private readonly files: FilesRepository,
    private readonly access: AccessService,
    private readonly storage: StorageService,
    private readonly thumbnails: ThumbnailsService,
    private readonly parsers: ParsersService,
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    metrics: Metrics,
  ) {
    this.uploads = metrics.counter('media_uploads_total', 'Uploads by mode (stream, direct) and outcome', [
      'mode',
      'outcome',
    ]);
    this.uploadBytes = metrics.counter('media_upload_bytes_total', 'Bytes of files stored', ['mode']);
  }

  /** POST /files: a multipart upload streamed straight into the store. */
  async upload(user: Principal, req: IncomingMessage): Promise<FileInfo> {
    try {
      // Refused before a byte of the body is read when the client announces too much.
      const declared = Number(req.headers['content-length']);
      if (declared > this.config.media.maxBytes + MULTIPART_OVERHEAD_BYTES) {
        throw UploadErrors.tooLarge(this.config.media.maxBytes);
      }
      const file = await receiveFile(req, (fields, part) => this.storeStreamed(user, fields, part));
      this.count('stream', 'ok', file.size);
      return file;
    } catch (err) {
      abandonRequestBody(req);
      this.count('stream', outcomeOf(err));
      throw err;
    }
  }

  /** POST /files/uploads: reserves the file and hands out a PUT URL bound to its size and type. */
  async createUpload(user: Principal, dto: CreateUploadDto): Promise<PresignedUpload> {
    const { maxBytes, userQuotaBytes, uploadUrlTtlSeconds } = this.config.media;
    const { channelId } = dto;
    await this.access.assertCanPost(user, channelId);
    if (dto.size > maxBytes) throw UploadErrors.tooLarge(maxBytes);
    const contentType = normalizeMime(dto.contentType);
    this.assertAllowed(contentType);
    const id = randomUUID();
    const row = await this.files.transaction(async (tx) => {
      const held = await tx.lockQuota(user.id);
      if (held + dto.size > userQuotaBytes) throw UploadErrors.quotaExceeded(userQuotaBytes);
      return tx.insertPending({
        id,
        channelId,
        uploadedBy: user.id,
        name: sanitizeFileName(dto.name),
        size: dto.size,
        contentType,
        objectKey: fileObjectKey(channelId, id),
      });
    });
    const url = await this.storage.presignPut(row.objectKey, contentType, dto.size, uploadUrlTtlSeconds);
    return {
      file: toFileDto(row),
      upload: {
        url,
        method: 'PUT',
        // Content-Length is signed too; clients send it by themselves (browsers refuse to set it).
        headers: { 'Content-Type': contentType },
        expiresAt: new Date(Date.now() + uploadUrlTtlSeconds * 1000).toISOString(),
      },
    };
  }

  /**
   * POST /files/:id/complete: the object must be in the store with the declared size, and its
   * bytes must be of the declared type. A mismatch voids the upload (object and record deleted):
   * the URL was bound to that size and type, so only a misbehaving client gets there.
   */
  async complete(user: Principal, id: string): Promise<FileInfo> {
    try {
      const file = await this.files.findById(id);
      if (!file || file.uploadedBy !== user.id) throw UploadErrors.notFound();
      if (file.status === 'ready') return toFileDto(file);
      await this.access.assertCanPost(user, file.channelId);

      const stored = await this.storage.size(file.objectKey);
      if (stored === null) throw UploadErrors.notUploadedYet();
      if (stored !== file.size) {
        await this.rollback(file.id, [file.objectKey]);
        throw UploadErrors.sizeMismatch(stored, file.size);
      }
      let detected: string;
      try {
        detected = await this.inspectStored(file);
      } catch (err) {
        // Undetectable in time: void like any refused type. Busy (503): left pending, to complete again.
        if (err instanceof AppError && err.code === 'UNSUPPORTED_MEDIA_TYPE') {
          await this.rollback(file.id, [file.objectKey]);
        }
        throw err;
      }
      if (!sameType(file.contentType, detected)) {
        await this.rollback(file.id, [file.objectKey]);
        throw UploadErrors.typeMismatch(detected, file.contentType);
      }
      if (!isAllowedType(detected, this.config.media.allowedTypes)) {
        await this.rollback(file.id, [file.objectKey]);
        throw UploadErrors.unsupportedType(detected);
      }

      const thumbKey = await this.thumbnails.generate({ ...file, contentType: detected });
      const done = await this.files.finishPending(id, { size: null, contentType: detected, thumbKey });
      const now = await this.files.findById(id);
      // A concurrent complete won the race (same outcome), or the sweeper expired the upload.
      if (!done && now?.status !== 'ready') {
        await this.storage.remove(thumbKey).catch(() => undefined);
        throw UploadErrors.expired();
      }
      if (done) this.count('direct', 'ok', file.size);
      return toFileDto(now!);
    } catch (err) {
      this.count('direct', outcomeOf(err));
      throw err;
    }
  }

  private async storeStreamed(
    user: Principal,
    fields: Record<string, string>,
    part: FilePart,
  ): Promise<FileInfo> {
    const { maxBytes, userQuotaBytes } = this.config.media;
    const channelId = (fields.channelId ?? '').trim().toLowerCase();
    if (!isUUID(channelId)) {
      throw UploadErrors.malformed('channelId (a UUID) must come before the file in the form');
    }
    await this.access.assertCanPost(user, channelId);
    // An estimate to stop early; the exact check runs under the quota lock once the size is known.
    const room = Math.max(0, userQuotaBytes - (await this.files.bytesHeld(user.id)));
    const limit = Math.min(maxBytes, room);
    let size = 0;
    const count = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit)
        throw size > maxBytes ? UploadErrors.tooLarge(maxBytes) : UploadErrors.quotaExceeded(userQuotaBytes);
    };

    const source = part.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await readHead(source, SNIFF_BYTES);
    count(head.bytes);
    const inspector = await ContentInspector.start(head.bytes, this.sniff);
    this.assertAllowed(inspector.type);

    const id = randomUUID();
    const objectKey = fileObjectKey(channelId, id);
    await this.files.insertPending({
      id,
      channelId,
      uploadedBy: user.id,
      name: sanitizeFileName(part.filename),
      size: 0,
      contentType: inspector.type,
      objectKey,
    });

    const assertAllowed = (type: string) => this.assertAllowed(type);
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        yield head.bytes;
        for (let r = head.ended ? null : await source.next(); r && !r.done; r = await source.next()) {
          count(r.value);
          // Text stays text only while every byte is: one binary byte makes it octet-stream.
          if (inspector.needsRest) {
            inspector.push(r.value);
            assertAllowed(inspector.type);
          }
          yield r.value;
        }
        // Also for a file that fits in its head: a UTF-8 character cut off at the end is not text.
        assertAllowed(inspector.end());
      } finally {
        await source.return?.();
      }
    }

    const body = Readable.from(bytes(), { objectMode: false });
    try {
      await this.storage.upload(objectKey, body, inspector.type);
    } catch (err) {
      body.destroy();
      await this.abortIntent(id, objectKey);
      throw err;
    }

    const contentType = inspector.type;
    const thumbKey = await this.thumbnails.generate({ id, channelId, objectKey, contentType });
    try {
      const row = await this.files.transaction(async (tx) => {
        const held = await tx.lockQuota(user.id, id);
        if (held + size > userQuotaBytes) throw UploadErrors.quotaExceeded(userQuotaBytes);
        const finished = await tx.finishPending(id, { size, contentType, thumbKey });
        if (!finished) throw UploadErrors.tookTooLong();
        return (await tx.findById(id))!;
      });
      return toFileDto(row);
    } catch (err) {
      await this.rollback(id, [objectKey, thumbKey]);
      throw err;
    }
  }

  /** Type detection of an object already in the store (direct uploads). */
  private async inspectStored(file: StoredFile): Promise<string> {
    const head =
      file.size === 0
        ? Buffer.alloc(0)
        : await this.storage.readBytes(file.objectKey, {
            start: 0,
            end: Math.min(SNIFF_BYTES, file.size) - 1,
          });
    if (!head) throw UploadErrors.disappeared();
    const inspector = await ContentInspector.start(head, this.sniff);
    if (inspector.needsRest && file.size > head.length) {
      const rest = await this.storage.read(file.objectKey, { start: head.length, end: file.size - 1 });
      if (!rest) throw UploadErrors.disappeared();
      for await (const chunk of rest.body) {
        inspector.push(chunk as Buffer);
        if (!inspector.needsRest) break; // leaving the loop destroys the stream
      }
    }
    return inspector.end();
  }

  /**
   * file-type in a worker under MEDIA_SNIFF_TIMEOUT_MS: a file it cannot judge in time (or that
   * kills its worker) is refused 415 like any undetectable type; the next upload gets a new worker.
   */
  private readonly sniff = async (head: Buffer): Promise<string | null> => {
    try {
      return await this.parsers.sniff(head);
    } catch (err) {
      if (err instanceof ParserBusyError) throw UploadErrors.detectorBusy();
      this.logger.warn(`type detection failed (${head.length} bytes): ${(err as Error).message}`);
      throw UploadErrors.undetectableType();
    }
  };

  private assertAllowed(type: string): void {
    if (!isAllowedType(type, this.config.media.allowedTypes)) throw UploadErrors.unsupportedType(type);
  }

  /**
   * The object could not be stored: the record goes (nothing half-recorded), and any object that
   * did land despite the error is removed if the store lets us.
   */
  private async abortIntent(id: string, objectKey: string): Promise<void> {
    await this.storage.remove(objectKey).catch(() => undefined);
    await this.files.deletePending(id).catch((err: unknown) => {
      this.logger.warn(`pending upload ${id} left for the sweeper: ${(err as Error).message}`);
    });
  }

  /**
   * The object is stored but the upload must not stand: objects first, then the record. If the
   * objects cannot be removed the pending record stays, so the sweeper retries both later (no orphan).
   */
  private async rollback(id: string, keys: (string | null)[]): Promise<void> {
    try {
      await this.storage.remove(...keys);
      await this.files.deletePending(id);
    } catch (err) {
      this.logger.warn(`pending upload ${id} left for the sweeper: ${(err as Error).message}`);
    }
  }

  private count(mode: Mode, outcome: string, bytes?: number): void {
    this.uploads.inc({ mode, outcome });
    if (bytes) this.uploadBytes.inc({ mode }, bytes);
  }
}

/** Reads from the start of a stream until `n` bytes (or the end): enough to recognise the type. */
async function readHead(
  source: AsyncIterator<Buffer>,
  n: number,
): Promise<{ bytes: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const r = await source.next();
    if (r.done) return { bytes: Buffer.concat(chunks), ended: true };
    chunks.push(r.value);
    length += r.value.length;
  }
  return { bytes: Buffer.concat(chunks), ended: false };
}

/** The declared type matches the detected one; any declared text/* matches detected plain text. */
function sameType(declared: string, detected: string): boolean {
  return declared === detected || (detected === TEXT_PLAIN && declared.startsWith('text/'));
}

function outcomeOf(err: unknown): string {
  if (err instanceof AppError) return err.code.toLowerCase();
  return 'error';
}
