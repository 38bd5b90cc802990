import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ReadinessProbe } from '@chat/platform';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { createS3Client } from './s3-client';
import { isNoSuchBucket, isNotFound, isNotImplemented, isTransient, StorageErrors } from './storage.errors';

/** S3's smallest multipart part; the upload buffers at most `UPLOAD_QUEUE` of them per file. */
const PART_SIZE = 5 * 1024 * 1024;
const UPLOAD_QUEUE = 2;
/** The first bucket check at boot may take this long; after that it continues in the background. */
const BOOT_WAIT_MS = 5000;
const RETRY_MAX_MS = 30_000;
const PROBE_TIMEOUT_MS = 1500;
const DELETE_CONCURRENCY = 8;
/** The ID of the lifecycle rule media owns on its bucket (S3_ABORT_INCOMPLETE_UPLOADS_DAYS). */
export const ABORT_UPLOADS_RULE_ID = 'chat-abort-incomplete-multipart-uploads';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface StoredObject {
  body: Readable;
  /** Bytes in `body`. */
  length: number;
}

/**
 * The bucket behind the media service. Every S3 call goes through here so failures are classified
 * once: a store that is down answers 503 UNAVAILABLE (retry later), a missing object is `null`, and
 * anything else (bad keys, no permission) surfaces as an internal error with the detail logged.
 */
@Injectable()
export class StorageService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StorageService.name);
  private readonly client: S3Client;
  /** Signs URLs for browsers: on MEDIA_PUBLIC_URL when set, since a signature covers the host. */
  private readonly signer: S3Client;
  private readonly bucket: string;
  private ensuring: Promise<boolean> | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 1000;
  private stopped = false;
  private lastWarnAt = 0;

  constructor(@Inject(MEDIA_CONFIG) private readonly config: MediaConfig) {
    this.client = createS3Client(config.s3);
    this.signer = config.media.publicUrl ? createS3Client(config.s3, config.media.publicUrl) : this.client;
    this.bucket = config.s3.bucket;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.s3.createBucket) return;
    // Boot does not wait for a store that is down: the first attempt gets a few seconds, then
    // retries continue in the background and /readyz says "down" until the bucket answers.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), BOOT_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.ensureBucket(), gaveUp]).finally(() => clearTimeout(timer));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.signer !== this.client) this.signer.destroy();
    this.client.destroy();
  }

  /** /readyz: the bucket answers HeadBucket. */
  probe(): ReadinessProbe {
    return {
      name: 'storage',
      check: async () => {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
          abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
      },
    };
  }

  /**
   * Creates the bucket when missing; on failure keeps retrying in the background with capped
   * backoff. Resolves true once the bucket exists. Safe with several replicas racing to create it.
   */
  ensureBucket(): Promise<boolean> {
    this.ensuring ??= this.tryEnsureBucket().finally(() => {
      this.ensuring = null;
    });
    return this.ensuring;
  }

  private async tryEnsureBucket(): Promise<boolean> {
    try {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch (err) {
        if (!isNotFound(err) && !isNoSuchBucket(err)) throw err;
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((e: unknown) => {
          const name = (e as { name?: string }).name;
          // Another replica won the race: the bucket is there, which is all we wanted.
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw e;
        });
        this.logger.log(`created bucket ${this.bucket}`);
      }
      if (this.config.s3.createBucket)
        await this.ensureLifecycle().catch((err: unknown) => {
          // A store that is down: the whole check is retried. A refusal (no permission for
          // lifecycle rules): the bucket still serves files; the operator hears about it.
          if (isTransient(err)) throw err;
          this.logger.warn(`bucket ${this.bucket}: lifecycle rule not set (${describe(err)})`);
        });
      this.retryDelayMs = 1000;
      return true;
    } catch (err) {
      if (!this.stopped) {
        this.logger.warn(
          `bucket ${this.bucket} not usable yet (${describe(err)}); retrying in ${this.retryDelayMs} ms`,
        );
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.ensureBucket(), this.retryDelayMs);
        this.retryTimer.unref();
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
      }
      return false;
    }
  }

  /**
   * Keeps the rule that aborts incomplete multipart uploads on the bucket, next to whatever rules
   * the bucket has already (they are kept as they are). Idempotent: nothing is written when the
   * rule is there with the configured days, so replicas booting together agree. A store without
   * lifecycle support (s3rver; some S3-compatible servers) gets a warning, and the bucket is still
   * used: the rule is housekeeping, not a condition for serving files.
   */
  private async ensureLifecycle(): Promise<void> {
    const days = this.config.s3.abortIncompleteUploadsDays;
    if (!days) return;
    let rules: LifecycleRule[] = [];
    try {
      const current = await this.client.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }),
      );
      rules = current.Rules ?? [];
    } catch (err) {
      if (isNotImplemented(err)) return this.lifecycleUnsupported(err);
      if ((err as { name?: string }).name !== 'NoSuchLifecycleConfiguration') throw err;
    }
    const ours = rules.find((r) => r.ID === ABORT_UPLOADS_RULE_ID);
    if (ours?.Status === 'Enabled' && ours.AbortIncompleteMultipartUpload?.DaysAfterInitiation === days)
      return;
    const rule: LifecycleRule = {
      ID: ABORT_UPLOADS_RULE_ID,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
    };
    try {
      await this.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.bucket,
          LifecycleConfiguration: { Rules: [...rules.filter((r) => r.ID !== ABORT_UPLOADS_RULE_ID), rule] },
        }),
      );
    } catch (err) {
      if (isNotImplemented(err)) return this.lifecycleUnsupported(err);
      throw err;
    }
    this.logger.log(`bucket ${this.bucket}: incomplete multipart uploads are aborted after ${days} d`);
  }

  private lifecycleUnsupported(err: unknown): void {
    this.logger.warn(
      `bucket ${this.bucket}: the store does not support lifecycle rules (${describe(err)}); ` +
        'incomplete multipart uploads are not aborted by the store (docs/operations.md "Object storage lifecycle")',
    );
  }

  /**
   * Streams `body` into `key` (multipart above 5 MiB, so memory stays bounded whatever the size).
   * A failing `body` aborts the upload and leaves no parts behind; its error is what rejects. When
   * the store fails instead, lib-storage aborts the body too (an AbortError): then the store's
   * failure is what counts (503 when it is down), not the abort it caused.
   */
  async upload(key: string, body: Readable, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      const own = body.errored;
      if (own && own.name !== 'AbortError') throw own;
      throw this.failure(err, `upload ${key}`);
    }
  }

  async put(key: string, data: Buffer, contentType: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentType: contentType }),
      );
    } catch (err) {
      throw this.failure(err, `put ${key}`);
    }
  }

  /** Size of the stored object, or null when there is none. */
  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.failure(err, `head ${key}`);
    }
  }

  /** The object's bytes (or `range` of them) as a stream, or null when there is no such object. */
  async read(key: string, range?: ByteRange): Promise<StoredObject | null> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return { body: res.Body as Readable, length: res.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.failure(err, `get ${key}`);
    }
  }

  /** The object's bytes (or `range` of them), buffered: for content sniffing and thumbnails only. */
  async readBytes(key: string, range?: ByteRange): Promise<Buffer | null> {
    const obj = await this.read(key, range);
    if (!obj) return null;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of obj.body) chunks.push(chunk as Buffer);
    } catch (err) {
      throw this.failure(err, `get ${key}`);
    }
    return Buffer.concat(chunks);
  }

  /** Deletes the objects (missing ones are fine: deleting is idempotent). */
  async remove(...keys: (string | null | undefined)[]): Promise<void> {
    const pending = keys.filter((k): k is string => !!k);
    // One DeleteObject per key rather than DeleteObjects: the batch call requires a Content-MD5
    // or checksum header that several S3-compatible stores handle differently.
    const worker = async () => {
      for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
        try {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
        } catch (err) {
          if (!isNotFound(err)) throw this.failure(err, `delete ${key}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, pending.length) }, worker));
  }

  /** A PUT URL bound to exactly this type and size: both headers are part of the signature. */
  presignPut(key: string, contentType: string, size: number, expiresIn: number): Promise<string> {
    return getSignedUrl(
      this.signer,
      new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size }),
      { expiresIn, signableHeaders: new Set(['content-type', 'content-length']) },
    );
  }

  /** A GET URL whose answer carries our headers (the store's own metadata is never trusted). */
  presignGet(
    key: string,
    headers: { contentType: string; contentDisposition: string; cacheControl: string },
    expiresIn: number,
  ): Promise<string> {
    return getSignedUrl(
      this.signer,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentType: headers.contentType,
        ResponseContentDisposition: headers.contentDisposition,
        ResponseCacheControl: headers.cacheControl,
      }),
      { expiresIn },
    );
  }

  /** Classifies an S3 failure: transient → 503 UNAVAILABLE (logged, rate-limited); else as is. */
  private failure(err: unknown, what: string): unknown {
    if (isNoSuchBucket(err) && this.config.s3.createBucket) void this.ensureBucket();
    if (!isTransient(err)) return err;
    const now = Date.now();
    if (now - this.lastWarnAt > 5000) {
      this.lastWarnAt = now;
      this.logger.warn(`storage unavailable during ${what}: ${describe(err)}`);
    }
    return StorageErrors.unavailable();
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string };
  return [e?.name, e?.code, e?.message].filter(Boolean).join(': ') || String(err);
}
