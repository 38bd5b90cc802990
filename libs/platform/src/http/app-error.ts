import { ERROR_STATUS, type ErrorCode } from '@chat/contracts';

/** A failure the client is meant to see, with a contract code. Services throw these. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra headers for HTTP answers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = 'Not found') => new AppError('NOT_FOUND', what);
export const forbidden = (why = 'Forbidden') => new AppError('FORBIDDEN', why);
export const conflict = (why: string) => new AppError('CONFLICT', why);
export const validation = (why: string) => new AppError('VALIDATION', why);
export const unauthorized = (why = 'Unauthorized') => new AppError('UNAUTHORIZED', why);
