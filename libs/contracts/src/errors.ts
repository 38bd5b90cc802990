/** Error codes of the wire contract, with the HTTP status each one maps to. */
export const ERROR_STATUS = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** Body of every HTTP error answer. */
export interface HttpErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  requestId: string;
}

/** The `error` member of a failed socket.io acknowledgement. */
export interface AckErrorBody {
  code: ErrorCode;
  message: string;
}

export interface AckFailure {
  ok: false;
  error: AckErrorBody;
}

export type AckSuccess<T extends object = object> = { ok: true } & T;

/** What every socket command acknowledges with. */
export type Ack<T extends object = object> = AckSuccess<T> | AckFailure;

export function codeForStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).find(([, s]) => s === status);
  if (found) return found[0];
  return status >= 500 ? 'INTERNAL' : 'VALIDATION';
}
