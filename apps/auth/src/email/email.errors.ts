import { AppError } from '@chat/platform';

/** The email context's failures, worded once. */
export const EmailErrors = {
  userNotFound: () => new AppError('NOT_FOUND', 'No such user'),
  /** What IsEmail lets through but no mailbox we send to should have: quotes, lists, comments. */
  notPlainAddress: () =>
    new AppError('VALIDATION', 'email must be a plain address such as alice@example.com'),
  tooManySends: (retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many verification emails, retry in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  },
  /** The address is saved; saving it again sends a new link. */
  notSent: () =>
    new AppError('UNAVAILABLE', 'The verification email could not be sent; save the address again to retry'),
};
