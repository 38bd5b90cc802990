import { createHash, type KeyObject } from 'node:crypto';
import type { AccessTokenClaims, AckErrorBody } from '@chat/contracts';
import { ExpiringCache, mapError } from '@chat/platform';

/** The access token of a handshake: `auth.token`, else `?token=` for clients that cannot set `auth`. */
export function tokenFrom(handshake: { auth?: unknown; query?: unknown }): unknown {
  const auth = handshake.auth as { token?: unknown } | undefined;
  if (auth && typeof auth.token === 'string') return auth.token;
  const query = handshake.query as { token?: unknown } | undefined;
  return query && typeof query.token === 'string' ? query.token : undefined;
}

/**
 * Drops the access token from a handshake once it was read: it is not kept for the socket's life
 * (memory, and `fetchSockets()` would ship it to the other replicas).
 */
export function forgetToken(handshake: { auth?: unknown; query?: unknown }): void {
  for (const part of [handshake.auth, handshake.query]) {
    if (part && typeof part === 'object') delete (part as { token?: unknown }).token;
  }
}

/**
 * Browsers always send Origin on a handshake (polling and WebSocket alike), so a page from a
 * foreign site is refused here. Non-browser clients send none and are allowed: they cannot be
 * driven by a foreign page and still have to present a token.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin === undefined || allowed.includes(origin);
}

/** A handshake refusal: the client's `connect_error` has the code as `message` and the details as `data`. */
export function connectError(err: unknown): Error & { data: AckErrorBody } {
  const { code, message } = mapError(err);
  return Object.assign(new Error(code), { data: { code, message } });
}

/** What a handshake needs of a token verified before: whose it is, and until when. */
export type VerifiedIdentity = Pick<AccessTokenClaims, 'sub' | 'exp'>;

interface Verified extends VerifiedIdentity {
  /** The key that verified it, as the key resolver answered then. */
  key: KeyObject;
}

/**
 * Access tokens this replica has verified, so that a reconnect wave (every client of a restarted
 * replica comes back at once, each with the token it used before) skips the ECDSA signature
 * check, the largest single cost of a handshake. A hit still asks the key resolver for the
 * token's key and must get the very same key object: a key removed from the JWKS, or replaced
 * under its kid, misses and verifies again (a refresh that leaves a key unchanged keeps its
 * object: JwksKeyResolver). Expired tokens never hit.
 *
 * Keyed by the token's SHA-256, so a different header, payload or signature is a different entry,
 * and an entry holds neither the token (≈ 500 bytes) nor its claims: only the subject and expiry
 * the handshake reads. Each connected client has one, so this is memory per connection.
 *
 * An ExpiringCache: an entry is kept at most `ttlMs` (the default access-token lifetime; a token
 * that lives longer is verified once more after that) and dropped once stale even if never asked
 * for again, and a full cache drops its oldest entry. Sized for a replica of 50,000 connections
 * (docs/scaling.md) whose clients each reconnect with a refreshed token: before, a map that
 * started over at 20,000 sent most of such a replica's reconnect wave through ECDSA again.
 */
export class VerifiedTokens {
  private readonly entries: ExpiringCache<string, Verified>;

  constructor(maxEntries = 100_000, ttlMs = 15 * 60_000) {
    this.entries = new ExpiringCache(ttlMs, maxEntries);
  }

  /**
   * Who the token stands for, if it was verified with the key `keyOf` answers now and has not
   * expired at `nowMs`. Only a token in the cache asks for its key: an unknown or forged one does
   * not spend the key resolver's unknown-kid budget here (the full check spends it once).
   */
  async get(
    token: string,
    keyOf: () => Promise<KeyObject>,
    nowMs: number,
  ): Promise<VerifiedIdentity | undefined> {
    const id = digest(token);
    const hit = this.entries.get(id, nowMs);
    if (!hit) return undefined;
    if (hit.key !== (await keyOf()) || hit.exp * 1000 <= nowMs) {
      this.entries.delete(id);
      return undefined;
    }
    return hit;
  }

  set(token: string, identity: VerifiedIdentity, key: KeyObject, nowMs = Date.now()): void {
    this.entries.set(digest(token), { sub: identity.sub, exp: identity.exp, key }, nowMs);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A token's SHA-256, in base64: 44 characters instead of the token's ≈ 480. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
