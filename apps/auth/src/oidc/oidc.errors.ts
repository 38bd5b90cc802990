import { AppError } from '@chat/platform';

/**
 * Why a single sign-on ended without a session. `message` is what the sign-in screen shows (fixed
 * wording: nothing the provider or the URL says is echoed to the person); `reason` is for the log.
 */
export class SsoFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'SsoFailure';
  }
}

export const OidcErrors = {
  staleLogin: (reason: string) =>
    new SsoFailure(reason, 'This sign-in attempt expired or was already used. Please try again.'),
  cancelled: (detail: unknown) =>
    new SsoFailure('provider_error', 'Sign-in was cancelled or refused by the identity provider.', detail),
  unreachable: (detail: unknown) =>
    new SsoFailure(
      'provider_unreachable',
      'The identity provider cannot be reached. Please try again later.',
      detail,
    ),
  unverified: (detail: unknown) =>
    new SsoFailure(
      'invalid_response',
      'The identity provider’s answer could not be verified. Please try again.',
      detail,
    ),
  noAccount: () =>
    new SsoFailure(
      'no_linked_account',
      'No account is linked to this identity, and new accounts are not created automatically. Ask an administrator.',
    ),
  refused: (reason: string) => new SsoFailure(reason, 'This account cannot sign in.'),
  /** POST /auth/oidc/exchange with a code that is unknown, spent or expired, or a refused account. */
  badHandoff: () => new AppError('UNAUTHORIZED', 'The sign-in code is invalid or expired'),
};
