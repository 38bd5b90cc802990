/**
 * The app's routes live in the URL hash (no router): `#/c/<channelId>` opens a conversation and
 * `#/c/<channelId>/m/<seq>` opens it at one message (a permalink).
 */
export interface Route {
  channelId: string;
  /** The message to open at, for a permalink. */
  seq?: number;
}

const ROUTE = /^#\/c\/([A-Za-z0-9-]{1,64})(?:\/m\/([1-9][0-9]{0,15}))?\/?$/;

export function parseRoute(hash: string): Route | null {
  const m = ROUTE.exec(hash);
  if (!m) return null;
  if (!m[2]) return { channelId: m[1] };
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { channelId: m[1], seq } : { channelId: m[1] };
}

export const channelHash = (channelId: string): string => `#/c/${encodeURIComponent(channelId)}`;

export const permalinkHash = (channelId: string, seq: number): string => `${channelHash(channelId)}/m/${seq}`;

/** The full link to share ("Copy link"). */
export const permalinkUrl = (origin: string, pathname: string, channelId: string, seq: number): string =>
  `${origin}${pathname}${permalinkHash(channelId, seq)}`;

/** `#/settings`, with an optional query (`?email=verified` after the verification link). */
const SETTINGS = /^#\/settings\/?(?:\?(.*))?$/;

export const SETTINGS_HASH = '#/settings';

export const isSettingsRoute = (hash: string): boolean => SETTINGS.test(hash);

/** What the email verification link came back with: `#/settings?email=verified|invalid`. */
export function emailOutcome(hash: string): 'verified' | 'invalid' | null {
  const m = SETTINGS.exec(hash);
  if (!m?.[1]) return null;
  const v = new URLSearchParams(m[1]).get('email');
  return v === 'verified' || v === 'invalid' ? v : null;
}
