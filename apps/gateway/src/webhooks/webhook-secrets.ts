import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Webhooks one channel may have (incoming and outgoing together). */
export const WEBHOOKS_PER_CHANNEL_MAX = 20;

/** Posts one incoming webhook may make a minute, across replicas. */
export const HOOK_POSTS_PER_MINUTE = 60;

/** 256 random bits, base64url: an incoming URL's secret, or an outgoing webhook's signing key. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of an incoming URL's secret (SHA-256: it is 256 random bits, nothing to guess). */
export function hashWebhookSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Compared against when the webhook is unknown, so both failures cost the same. */
const NOTHING = Buffer.alloc(32);

/**
 * Whether `secret` is the one `stored` is the hash of, in time independent of where they differ
 * (both sides are 32-byte digests, whatever was sent). Null `stored`: no such webhook, false.
 */
export function secretMatches(secret: string, stored: Buffer | null): boolean {
  const same = timingSafeEqual(hashWebhookSecret(secret), stored?.length === 32 ? stored : NOTHING);
  return same && stored !== null;
}

/**
 * The username of an incoming webhook's account: its name as a slug, `-hook-` and 4 random hex
 * digits (at most 32 characters, within the username rules). Callers try again on a clash.
 */
export function webhookUsername(name: string): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 22)
      .replace(/-+$/, '') || 'webhook';
  return `${slug}-hook-${randomBytes(2).toString('hex')}`;
}
