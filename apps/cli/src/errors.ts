import { codeForStatus, ERROR_CODES, type AckErrorBody, type ErrorCode } from '@chat/contracts';
import { clean } from './format';

/**
 * A failure the server answered with (HTTP error body or socket ack error), or one the client
 * decided on its own (server unreachable, timeout). `code` is always a contract code, so every
 * failure is worded the same way whichever transport it came from.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** HTTP status; 0 when there was no HTTP answer. */
    readonly status = 0,
  ) {
    super(message);
  }

  /** The request never reached the server. */
  get network(): boolean {
    return this.status === 0 && this.code === 'UNAVAILABLE';
  }
}

const isErrorCode = (v: unknown): v is ErrorCode =>
  typeof v === 'string' && (ERROR_CODES as string[]).includes(v);

/** From an HTTP error answer (`{ statusCode, code, message, requestId }`, or anything else). */
export function errorFromResponse(status: number, body: unknown): ChatError {
  const b = (body && typeof body === 'object' ? body : {}) as { code?: unknown; message?: unknown };
  const code = isErrorCode(b.code) ? b.code : codeForStatus(status);
  const raw = Array.isArray(b.message) ? b.message.join('; ') : b.message;
  const message = typeof raw === 'string' && raw ? raw : `HTTP ${status}`;
  return new ChatError(code, message, status);
}

/** From a failed socket acknowledgement (`{ ok: false, error: { code, message } }`). */
export function errorFromAck(error: AckErrorBody | undefined): ChatError {
  const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
  return new ChatError(code, error?.message || code);
}

/** Why a fetch failed, in words (Node's fetch hides the system error in `cause`). */
export function networkError(url: string, err: unknown): ChatError {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const why =
    cause?.code === 'ECONNREFUSED'
      ? 'connection refused'
      : cause?.code === 'ENOTFOUND'
        ? 'host not found'
        : cause?.code === 'ECONNRESET'
          ? 'connection reset'
          : (err as Error | undefined)?.name === 'TimeoutError'
            ? 'no answer in time'
            : (cause?.code ?? cause?.message ?? (err as Error | undefined)?.message ?? 'network error');
  return new ChatError('UNAVAILABLE', `Cannot reach ${url}: ${why}`);
}

/** One line for a person, whatever was thrown: never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof ChatError) {
    if (err.network) return err.message;
    return `${oneLine(err.message)} (${err.code})`;
  }
  if (err instanceof Error && err.message) return oneLine(err.message);
  return 'Something went wrong';
}

/** Server text is untrusted: no control characters reach the terminal, and it stays one line. */
function oneLine(s: string): string {
  const flat = clean(s).replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
