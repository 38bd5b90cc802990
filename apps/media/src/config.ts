import { makeValidator } from 'envalid';
import {
  bool,
  commonEnv,
  loadEnv,
  optionalHttpUrl,
  port,
  str,
  tokenVerifierEnv,
} from '@chat/platform/config/env';
import { tracingConfig, tracingEnv } from '@chat/platform/observability/tracing';

/** A whole number ≥ 1 (sizes, counts, seconds that must not be zero). */
const positiveInt = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error('must be a whole number ≥ 1');
  return value;
});

/** A whole number ≥ 0. */
const nonNegativeInt = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('must be a whole number ≥ 0');
  return value;
});

/** Allowed MIME types: `type/sub` or `type/*`, lower-cased. */
const mimeList = makeValidator<string[]>((input) => {
  const items = String(input)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = items.find((t) => !/^[a-z0-9][\w.+-]*\/(\*|[a-z0-9][\w.+-]*)$/.test(t));
  if (bad) throw new Error(`"${bad}" is not a MIME type or type/*`);
  return items;
});

/** Every setting of the media service, validated at boot (see docs/media.md "Configuration"). */
export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
      ...tracingEnv,
      ...tokenVerifierEnv,
      MEDIA_PORT: port({ default: 3003, desc: 'HTTP port of the media service' }),
      S3_ENDPOINT: optionalHttpUrl({
        default: 'http://127.0.0.1:4569',
        desc: 'S3-compatible endpoint; empty for AWS',
      }),
      S3_REGION: str({ default: 'us-east-1' }),
      S3_BUCKET: str({ default: 'chat-files' }),
      S3_ACCESS_KEY_ID: str({ default: 'S3RVER' }),
      S3_SECRET_ACCESS_KEY: str({ default: 'S3RVER' }),
      /** Path-style URLs (http://host/bucket/key): what MinIO, SeaweedFS, Garage and s3rver expect. */
      S3_FORCE_PATH_STYLE: bool({ default: true }),
      /** Create the bucket at start-up when it is missing. */
      S3_CREATE_BUCKET: bool({ default: true }),
      /**
       * With S3_CREATE_BUCKET, a lifecycle rule on the bucket aborts multipart uploads left
       * incomplete this many days (their parts are billed and invisible to listings). 0: the
       * bucket's lifecycle is left alone (a bucket the operator manages: docs/operations.md).
       */
      S3_ABORT_INCOMPLETE_UPLOADS_DAYS: nonNegativeInt({ default: 1 }),
      /** Attempts per S3 call (1 = no retry); transient failures are retried with jittered backoff. */
      S3_MAX_ATTEMPTS: positiveInt({ default: 3 }),
      /** TCP connect timeout: a store that is down must fail fast, not hang requests. */
      S3_CONNECT_TIMEOUT_MS: positiveInt({ default: 3000 }),
      /** Socket idle timeout per S3 request (not the whole transfer, so large files are fine). */
      S3_REQUEST_TIMEOUT_MS: positiveInt({ default: 30_000 }),
      MEDIA_MAX_BYTES: positiveInt({ default: 25 * 1024 * 1024 }),
      /** Allowed detected types (exact, or `type/*`). */
      MEDIA_ALLOWED_TYPES: mimeList({
        default: [
          'image/png',
          'image/jpeg',
          'image/gif',
          'image/webp',
          'application/pdf',
          'text/plain',
          'application/zip',
          'audio/mpeg',
          'audio/ogg',
          'video/mp4',
          'video/webm',
        ],
      }),
      /** When set, downloads answer 302 to a presigned URL on this public origin of the store. */
      MEDIA_PUBLIC_URL: optionalHttpUrl({ default: '' }),
      /** Lifetime of the presigned download URLs handed out in the 302 mode: short, they are bearer links. */
      MEDIA_DOWNLOAD_URL_TTL_SECONDS: positiveInt({ default: 60 }),
      /** Bytes one user may keep stored (finished files plus reserved direct uploads). */
      MEDIA_USER_QUOTA_BYTES: nonNegativeInt({ default: 1024 * 1024 * 1024 }),
      /** Presigned uploads never completed are removed after this many seconds. */
      MEDIA_UPLOAD_TTL_SECONDS: positiveInt({ default: 3600 }),
      /** How often the pending-upload sweeper runs; 0 derives it from the TTL (a quarter, 1 s to 5 min). */
      MEDIA_SWEEP_INTERVAL_SECONDS: nonNegativeInt({ default: 0 }),
      /** Longest side of generated thumbnails, in pixels. */
      MEDIA_THUMB_MAX_SIDE: positiveInt({ default: 320 }),
      /** Images declaring more pixels than this get no thumbnail (decompression bombs). */
      MEDIA_THUMB_MAX_INPUT_PIXELS: positiveInt({ default: 64_000_000 }),
      /** Type detection of one upload may take this long in its worker; then 415 (type undetectable). */
      MEDIA_SNIFF_TIMEOUT_MS: positiveInt({ default: 2000 }),
      /** Decoding and resizing one image may take this long in its worker; then no thumbnail. */
      MEDIA_THUMB_TIMEOUT_MS: positiveInt({ default: 15_000 }),
      /** V8 heap of each parser worker, MB (sharp's pixel buffers are native: MEDIA_THUMB_MAX_INPUT_PIXELS bounds those). */
      MEDIA_PARSER_MAX_HEAP_MB: positiveInt({ default: 64 }),
      /** Worker threads per parser (type detection, thumbnails), started on demand. */
      MEDIA_PARSER_WORKERS: positiveInt({ default: 2 }),
      /** Jobs that may wait per parser; past that type detection answers 503 and thumbnails are skipped. */
      MEDIA_PARSER_QUEUE: nonNegativeInt({ default: 200 }),
    },
    env,
  );
  const uploadTtlSeconds = e.MEDIA_UPLOAD_TTL_SECONDS;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.MEDIA_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    tracing: tracingConfig(e),
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    corsOrigins: e.CORS_ORIGINS,
    trustedProxies: e.TRUSTED_PROXIES,
    jwt: {
      jwksUrl: e.AUTH_JWKS_URL,
      jwksRefreshSeconds: e.AUTH_JWKS_REFRESH_SECONDS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      createBucket: e.S3_CREATE_BUCKET,
      abortIncompleteUploadsDays: e.S3_ABORT_INCOMPLETE_UPLOADS_DAYS,
      maxAttempts: e.S3_MAX_ATTEMPTS,
      connectTimeoutMs: e.S3_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: e.S3_REQUEST_TIMEOUT_MS,
    },
    media: {
      maxBytes: e.MEDIA_MAX_BYTES,
      allowedTypes: e.MEDIA_ALLOWED_TYPES,
      publicUrl: e.MEDIA_PUBLIC_URL,
      downloadUrlTtlSeconds: e.MEDIA_DOWNLOAD_URL_TTL_SECONDS,
      userQuotaBytes: e.MEDIA_USER_QUOTA_BYTES,
      uploadTtlSeconds,
      // The PUT URL dies halfway through the TTL, so an upload started at the last moment still
      // lands before the sweeper removes its record (no object can appear after the sweep).
      uploadUrlTtlSeconds: Math.max(1, Math.min(900, Math.floor(uploadTtlSeconds / 2))),
      sweepIntervalSeconds:
        e.MEDIA_SWEEP_INTERVAL_SECONDS || Math.max(1, Math.min(300, Math.floor(uploadTtlSeconds / 4))),
      thumbMaxSide: e.MEDIA_THUMB_MAX_SIDE,
      thumbMaxInputPixels: e.MEDIA_THUMB_MAX_INPUT_PIXELS,
      parsers: {
        sniffTimeoutMs: e.MEDIA_SNIFF_TIMEOUT_MS,
        thumbTimeoutMs: e.MEDIA_THUMB_TIMEOUT_MS,
        maxHeapMb: e.MEDIA_PARSER_MAX_HEAP_MB,
        workers: e.MEDIA_PARSER_WORKERS,
        queueLimit: e.MEDIA_PARSER_QUEUE,
        /**
         * Tests only, set by no variable: a job whose bytes start with this string makes its worker
         * loop forever, as file-type 16's ASF parser did (CVE-2026-31808), to prove the deadline.
         */
        testHangMarker: undefined as string | undefined,
      },
    },
  };
}

export type MediaConfig = ReturnType<typeof loadMediaConfig>;
export const MEDIA_CONFIG = Symbol('MEDIA_CONFIG');
