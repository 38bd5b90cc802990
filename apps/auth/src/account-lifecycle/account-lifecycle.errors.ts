import { AppError } from '@chat/platform';

/** The account lifecycle's failures (deletion, export), worded once. */
export const AccountLifecycleErrors = {
  userNotFound: () => new AppError('NOT_FOUND', 'No such user'),
  /** 403, not 401: the web client takes a 401 for an expired token and would refresh and retry. */
  wrongPassword: () => new AppError('FORBIDDEN', 'The password is not correct'),
  passwordRequired: () => new AppError('VALIDATION', 'password is required to delete this account'),
  confirmRequired: () =>
    new AppError(
      'VALIDATION',
      'confirm must be your username: this account has no password (it signs in through single sign-on)',
    ),
  eraseMessagesNotAllowed: () =>
    new AppError(
      'VALIDATION',
      'eraseMessages is not allowed here: the deletion policy (ACCOUNT_ERASE_MESSAGES) is `never`, so messages stay, shown as "deleted user"',
    ),
  lastAdmin: () =>
    new AppError('CONFLICT', 'The last admin cannot be deleted: make someone else an admin first'),
  selfDeactivation: () =>
    new AppError('FORBIDDEN', 'To delete your own account use DELETE /auth/me (it asks for your password)'),
  botAccount: () => new AppError('FORBIDDEN', 'A bot is removed with DELETE /auth/bots/:id'),
  exportRunning: () =>
    new AppError('RATE_LIMITED', 'An export of this account is already running; retry when it is done', {
      'Retry-After': '30',
    }),
};
