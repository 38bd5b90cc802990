import { AppError } from '@chat/platform';

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'ThrottlingException',
  'NoSuchBucket',
]);

/** The object (or bucket) is not there: S3 says NotFound on HEAD and NoSuchKey on GET. */
export function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.Code === 'NoSuchKey';
}

/** The store does not implement the operation (s3rver and some S3-compatibles: lifecycle rules). */
export function isNotImplemented(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NotImplemented' || e?.Code === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501;
}

export function isNoSuchBucket(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NoSuchBucket' || e?.Code === 'NoSuchBucket';
}

/**
 * True when the store is down, slow or overloaded (retrying later may work), as opposed to a
 * refusal that points at our configuration (bad keys, no permission), which is a bug to fix.
 */
export function isTransient(err: unknown): boolean {
  for (let e = err as SdkError | undefined, depth = 0; e && depth < 4; e = e.cause as SdkError, depth++) {
    if (e.code && NETWORK_CODES.has(e.code)) return true;
    if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429)) return true;
    if (e.$retryable) return true;
  }
  return false;
}

/** The storage context's failures, worded once. */
export const StorageErrors = {
  unavailable: () =>
    new AppError('UNAVAILABLE', 'File storage is unavailable, retry shortly', { 'Retry-After': '2' }),
};
