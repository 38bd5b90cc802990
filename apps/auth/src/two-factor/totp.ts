import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';

/**
 * RFC 6238 as every authenticator app speaks it (SHA-1, 6 digits, 30 s), with one time step of
 * clock drift either way: a code is accepted during the 90 s around its own 30.
 */
export const TOTP_PERIOD_SECONDS = 30;
const DRIFT_STEPS = 1;

export const RECOVERY_CODE_COUNT = 10;
/** 12 characters of a 32-letter alphabet: 60 bits, far beyond what the login throttle lets anyone try. */
const RECOVERY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RECOVERY_LENGTH = 12;

/** A new base32 secret of 20 random bytes (160 bits, RFC 4226's recommendation). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/<issuer>:<username>?secret=…&issuer=…` URL an authenticator app scans. */
export function otpauthUrl(issuer: string, username: string, secret: string): string {
  return generateURI({ issuer, label: username, secret });
}

/** A TOTP code as people type it: six digits, maybe with a space in the middle. */
export function asTotpCode(code: string): string | null {
  const digits = code.replace(/\s+/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The time step `code` belongs to when it is valid for `secret` now (±1 step) and newer than
 * `afterStep` (the last one accepted, so a code is never accepted twice); null otherwise.
 */
export async function matchTotp(
  secret: string,
  code: string,
  afterStep: number | null,
  nowMs = Date.now(),
): Promise<number | null> {
  const token = asTotpCode(code);
  if (!token) return null;
  const result = await verify({
    secret,
    token,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: DRIFT_STEPS * TOTP_PERIOD_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** Ten fresh one-time codes, as shown: `xxxx-xxxx-xxxx`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 256 is a multiple of 32: every letter is equally likely.
    const chars = [...randomBytes(RECOVERY_LENGTH)].map((b) => RECOVERY_ALPHABET[b % 32]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  });
}

/**
 * What is stored of a recovery code: its SHA-256, after the case, spaces and dashes people may
 * change are taken out. A fast hash suffices for 60 random bits (nothing to look up in a
 * dictionary); null when the input cannot be a recovery code.
 */
export function recoveryCodeHash(code: string): Buffer | null {
  const normalized = code.toLowerCase().replace(/[\s-]+/g, '');
  if (normalized.length !== RECOVERY_LENGTH || ![...normalized].every((c) => RECOVERY_ALPHABET.includes(c)))
    return null;
  return createHash('sha256').update(normalized).digest();
}
