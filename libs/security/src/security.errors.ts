import { AppError } from '@chat/platform';

/** Refusals of token checks and role guards; one wording for every transport and app. */
export const SecurityErrors = {
  missingToken: () => new AppError('UNAUTHORIZED', 'Missing access token'),
  /** Forged, expired, of a deleted or banned user: the same answer, so none of them is told apart. */
  invalidToken: () => new AppError('UNAUTHORIZED', 'Invalid or expired access token'),
  totpSetupRequired: () =>
    new AppError(
      'FORBIDDEN',
      'Two-factor authentication is required: set it up first (Settings, or POST /auth/2fa/setup)',
    ),
  roleRequired: (roles: readonly string[]) =>
    new AppError('FORBIDDEN', `Requires role ${roles.join(' or ')}`),
};
