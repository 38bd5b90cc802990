import { HttpException } from '@nestjs/common';
import { codeForStatus, ERROR_STATUS, type ErrorCode } from '@chat/contracts';
import { AppError } from './app-error';

export interface MappedError {
  status: number;
  code: ErrorCode;
  message: string;
  headers: Record<string, string>;
  /** True when the cause is ours, not the client's: log it in full, tell the client nothing. */
  internal: boolean;
}

const BODY_PARSER_ERRORS: Record<string, ErrorCode> = {
  'entity.parse.failed': 'VALIDATION',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'VALIDATION',
  'request.size.invalid': 'VALIDATION',
};

/** Errors that mean a dependency (Postgres, Redis, S3) is down rather than a bug. */
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  const code = e?.code ?? '';
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57P01',
      '57P03',
      '08006',
      '08001',
      '08003',
    ].includes(code) ||
    // ioredis while Redis is down: retries exhausted, or a command refused on a dead stream.
    e?.name === 'MaxRetriesPerRequestError' ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Connection is closed|Stream isn't writeable|ECONNREFUSED/i.test(
      e?.message ?? '',
    )
  );
}

/** A 4xx status set on an error by the HTTP layer (`status`/`statusCode`, as http-errors does). */
function clientStatusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown } | undefined;
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499 || e?.expose === false) return undefined;
  return status;
}

function messageOf(response: unknown, fallback: string): string {
  if (typeof response === 'string') return response;
  const m = (response as { message?: unknown })?.message;
  if (Array.isArray(m)) return m.map(String).join('; ');
  if (typeof m === 'string') return m;
  return fallback;
}

/** Turns anything thrown into the contract's error shape. Shared by HTTP and socket transports. */
export function mapError(err: unknown): MappedError {
  if (err instanceof AppError) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      headers: err.headers,
      internal: false,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = codeForStatus(status);
    return {
      status,
      code,
      message: status >= 500 ? 'Internal error' : messageOf(err.getResponse(), err.message),
      headers: {},
      internal: status >= 500,
    };
  }
  const bodyType = (err as { type?: string })?.type;
  if (bodyType && BODY_PARSER_ERRORS[bodyType]) {
    const code = BODY_PARSER_ERRORS[bodyType];
    const message =
      code === 'PAYLOAD_TOO_LARGE'
        ? 'Request body too large'
        : code === 'UNSUPPORTED_MEDIA_TYPE'
          ? 'Unsupported body encoding'
          : 'Malformed request body';
    return { status: ERROR_STATUS[code], code, message, headers: {}, internal: false };
  }
  // Client errors of the HTTP layer carry their 4xx status without a `type` we know: the body
  // parser's for a body that does not inflate (`Content-Encoding: gzip` on bytes that are not gzip
  // was a 500 INTERNAL). The client's fault, not ours.
  const httpStatus = clientStatusOf(err);
  if (httpStatus) {
    return {
      status: httpStatus,
      code: codeForStatus(httpStatus),
      message: httpStatus === 404 ? 'Not found' : 'Malformed request',
      headers: {},
      internal: false,
    };
  }
  if (isUnavailable(err)) {
    return {
      status: 503,
      code: 'UNAVAILABLE',
      message: 'Service temporarily unavailable, retry shortly',
      headers: { 'Retry-After': '2' },
      internal: true,
    };
  }
  return { status: 500, code: 'INTERNAL', message: 'Internal error', headers: {}, internal: true };
}
