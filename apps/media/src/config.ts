import { bool, commonEnv, list, loadEnv, num, port, str, tokenVerifierEnv } from '@chat/platform';

/** Every setting of the media service, validated at boot (see README "Configuration"). */
export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
      ...tokenVerifierEnv,
      MEDIA_PORT: port({ default: 3003, desc: 'HTTP port of the media service' }),
      S3_ENDPOINT: str({ default: 'http://127.0.0.1:4569', desc: 'S3-compatible endpoint; empty for AWS' }),
      S3_REGION: str({ default: 'us-east-1' }),
      S3_BUCKET: str({ default: 'chat-files' }),
      S3_ACCESS_KEY_ID: str({ default: 'S3RVER' }),
      S3_SECRET_ACCESS_KEY: str({ default: 'S3RVER' }),
      /** Path-style URLs (http://host/bucket/key): what MinIO, SeaweedFS, Garage and s3rver expect. */
      S3_FORCE_PATH_STYLE: bool({ default: true }),
      /** Create the bucket at start-up when it is missing. */
      S3_CREATE_BUCKET: bool({ default: true }),
      MEDIA_MAX_BYTES: num({ default: 25 * 1024 * 1024 }),
      /** Allowed detected types (exact, or `type/*`). */
      MEDIA_ALLOWED_TYPES: list({
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
      MEDIA_PUBLIC_URL: str({ default: '' }),
      /** Bytes one user may keep stored. */
      MEDIA_USER_QUOTA_BYTES: num({ default: 1024 * 1024 * 1024 }),
      /** Presigned uploads never completed are removed after this many seconds. */
      MEDIA_UPLOAD_TTL_SECONDS: num({ default: 3600 }),
    },
    env,
  );
  return {
    nodeEnv: e.NODE_ENV,
    port: e.MEDIA_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    corsOrigins: e.CORS_ORIGINS,
    jwt: { jwksUrl: e.AUTH_JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      createBucket: e.S3_CREATE_BUCKET,
    },
    media: {
      maxBytes: e.MEDIA_MAX_BYTES,
      allowedTypes: e.MEDIA_ALLOWED_TYPES,
      publicUrl: e.MEDIA_PUBLIC_URL,
      userQuotaBytes: e.MEDIA_USER_QUOTA_BYTES,
      uploadTtlSeconds: e.MEDIA_UPLOAD_TTL_SECONDS,
    },
  };
}

export type MediaConfig = ReturnType<typeof loadMediaConfig>;
export const MEDIA_CONFIG = Symbol('MEDIA_CONFIG');
