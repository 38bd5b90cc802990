import { AppError } from '@chat/platform';

/** The settings context's failures, worded once. */
export const SettingsErrors = {
  nothingToChange: () =>
    new AppError('VALIDATION', 'Give at least one of passwordLogin, oidcCreateAccounts, requireTotp'),
  /** Requiring two-factor would confine the admin's own account to the set-up at once. */
  setUpOwnTotpFirst: () =>
    new AppError('CONFLICT', 'Set up two-factor on your own account before requiring it of everyone'),
};
