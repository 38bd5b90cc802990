import { codeForStatus, ERROR_CODES, type AckErrorBody, type ErrorCode } from '@chat/contracts';

/**
 * A failure the server answered with (HTTP error body or socket ack error), or one the client
 * decided on its own (network down, timeout). `code` is always a contract code, so the UI can
 * word every failure the same way whichever transport it came from.
 */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** HTTP status; 0 when the request never got an answer. */
    readonly status = 0,
    /** Seconds to wait before retrying (Retry-After), for RATE_LIMITED. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request never reached the server (offline, DNS, connection refused, timeout). */
  get network(): boolean {
    return this.status === 0 && this.code === 'UNAVAILABLE';
  }
}

export const networkError = (why = 'Cannot reach the server') => new ApiError('UNAVAILABLE', why, 0);

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && (ERROR_CODES as string[]).includes(v);
}

function parseRetryAfter(header: string | null | undefined, message: string): number | undefined {
  if (header) {
    const n = Number(header);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  // The auth service also says it in words ("retry in 42 s"); use that when no header came through.
  const m = /(\d+)\s*s\b/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Builds an ApiError from an HTTP error answer (body already parsed, or null when it was not JSON). */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as { code?: unknown; message?: unknown };
  const code = isErrorCode(b.code) ? b.code : codeForStatus(status);
  const rawMessage = Array.isArray(b.message) ? b.message.join('; ') : b.message;
  const message = typeof rawMessage === 'string' && rawMessage ? rawMessage : defaultMessage(code);
  const retryAfter = code === 'RATE_LIMITED' ? parseRetryAfter(retryAfterHeader, message) : undefined;
  return new ApiError(code, message, status, retryAfter);
}

export function errorFromAck(error: AckErrorBody | undefined): ApiError {
  const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
  return new ApiError(code, error?.message || defaultMessage(code));
}

function defaultMessage(code: ErrorCode): string {
  switch (code) {
    case 'UNAUTHORIZED':
      return 'Your session has ended. Please sign in again.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return 'That no longer exists, or you do not have access to it.';
    case 'CONFLICT':
      return 'That conflicts with something that already exists.';
    case 'PAYLOAD_TOO_LARGE':
      return 'That file is too large.';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'That file type is not allowed.';
    case 'RATE_LIMITED':
      return 'Too many requests. Please wait a moment.';
    case 'UNAVAILABLE':
      return 'The server is unavailable right now. Try again shortly.';
    case 'VALIDATION':
      return 'Some of the input is not valid.';
    default:
      return 'Something went wrong on our side. Try again.';
  }
}

/** One sentence for a person, whatever went wrong. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'RATE_LIMITED' && err.retryAfter !== undefined) {
      return `Too many attempts. Try again in ${formatWait(err.retryAfter)}.`;
    }
    if (err.code === 'INTERNAL') return defaultMessage('INTERNAL');
    return err.message;
  }
  if (err instanceof Error && err.message) return err.message;
  return defaultMessage('INTERNAL');
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s ? `${m} min ${s} s` : `${m} min`;
}
