import { AppError } from '@chat/platform';

/** The two-factor context's failures, worded once. */
export const TwoFactorErrors = {
  /** Enable and disable (a login's code errors are the account context's): a 400, not a 401. */
  codeWrong: () => new AppError('VALIDATION', 'The code is wrong'),
  alreadyEnabled: () => new AppError('CONFLICT', 'Two-factor authentication is already enabled'),
  notPending: () =>
    new AppError('CONFLICT', 'No two-factor set-up is under way: start one with POST /auth/2fa/setup'),
  notEnabled: () => new AppError('CONFLICT', 'Two-factor authentication is not enabled'),
  requiredBySettings: () =>
    new AppError(
      'FORBIDDEN',
      'Two-factor authentication is required on this server and cannot be turned off',
    ),
  notForBots: () => new AppError('FORBIDDEN', 'Bot accounts sign in with their token: no two-factor'),
  userNotFound: () => new AppError('NOT_FOUND', 'No such user'),
  tooManyAttempts: (retryMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many attempts, retry in ${seconds} s`, {
      'Retry-After': String(seconds),
    });
  },
};
