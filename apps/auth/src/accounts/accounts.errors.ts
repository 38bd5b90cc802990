import { AppError } from '@chat/platform';

/** The account context's failures, worded once. */
export const AccountErrors = {
  /** Also a banned user's answer, and an unknown username's: a login tells nothing more. */
  badCredentials: () => new AppError('UNAUTHORIZED', 'Invalid username or password'),
  usernameTaken: () => new AppError('CONFLICT', 'Username is taken'),
  userNotFound: () => new AppError('NOT_FOUND', 'No such user'),
  tooManyAttempts: (retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many attempts, retry in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  },
};
