import { AppError } from '@chat/platform';

/** The Web Push context's failures, worded once. */
export const PushErrors = {
  notConfigured: () => new AppError('NOT_FOUND', 'Web Push is not configured on this server'),
  badEndpoint: (why: string) => new AppError('VALIDATION', why),
  badP256dh: () =>
    new AppError('VALIDATION', 'keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)'),
  badAuth: () => new AppError('VALIDATION', 'keys.auth must be a 16-byte secret (base64url)'),
};
