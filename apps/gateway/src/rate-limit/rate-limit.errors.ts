import { AppError } from '@chat/platform';

/** The rate-limit context's failures, worded once. */
export const RateLimitErrors = {
  /** Says when to retry, in whole seconds (at least one), in the message and in Retry-After. */
  tooMany: (retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many requests, retry in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  },
};
