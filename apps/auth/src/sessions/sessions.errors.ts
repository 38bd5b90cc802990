import { AppError } from '@chat/platform';

/** The session context's failures, worded once. */
export const SessionErrors = {
  /** Unknown, spent, expired, revoked, or its user banned: a refresh never says which. */
  invalidRefreshToken: () => new AppError('UNAUTHORIZED', 'Invalid or expired refresh token'),
};
