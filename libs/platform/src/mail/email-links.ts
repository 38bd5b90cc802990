import { createHash, randomBytes } from 'node:crypto';

/**
 * The secrets in the links of our emails (`email_tokens`): the gateway mints unsubscribe links for
 * its digests, the auth service mints verification links and answers both. One definition, so the
 * two services agree on the format, the hashing and the paths.
 */

/** A verification link works for a day: long enough to find the email, short enough to expire unused. */
export const VERIFY_TOKEN_TTL_MS = 24 * 3600_000;
/** An unsubscribe link works for 90 days: people unsubscribe from old emails too. */
export const UNSUBSCRIBE_TOKEN_TTL_MS = 90 * 24 * 3600_000;

/** 32 random bytes, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface EmailToken {
  /** Goes into the link, never stored. */
  token: string;
  /** SHA-256 of the token: what `email_tokens.token_hash` holds, so a database leak yields no working link. */
  hash: Buffer;
}

export function newEmailToken(): EmailToken {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashEmailToken(token)! };
}

/** The hash to look a presented token up by; null for anything that is not one of ours (no lookup needed). */
export function hashEmailToken(presented: unknown): Buffer | null {
  if (typeof presented !== 'string' || !TOKEN_PATTERN.test(presented)) return null;
  return createHash('sha256').update(presented).digest();
}

/** `publicUrl` without its trailing slash: the front door routes `/auth/` to the auth service. */
export function verifyEmailUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/auth/email/verify?token=${encodeURIComponent(token)}`;
}

export function unsubscribeEmailUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/auth/email/unsubscribe?token=${encodeURIComponent(token)}`;
}
