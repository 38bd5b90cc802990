import { AppError } from '@chat/platform';

/** The account context's failures, worded once. */
export const AccountErrors = {
  /** Also a banned user's answer, and an unknown username's: a login tells nothing more. */
  badCredentials: () => new AppError('UNAUTHORIZED', 'Invalid username or password'),
  usernameTaken: () => new AppError('CONFLICT', 'Username is taken'),
  /** Sign-in settings: single sign-on only (admins keep their password as the way back in). */
  passwordLoginOff: () => new AppError('FORBIDDEN', 'Password sign-in is turned off: use single sign-on'),
  /** Only after the right password: someone without it never learns whether an account has two-factor. */
  codeRequired: () => new AppError('UNAUTHORIZED', 'A two-factor code is required'),
  codeWrong: () => new AppError('UNAUTHORIZED', 'The two-factor code is wrong'),
  userNotFound: () => new AppError('NOT_FOUND', 'No such user'),
  tooManyAttempts: (retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many attempts, retry in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  },
};
