import type { KeyObject } from 'node:crypto';
import type { AccessTokenClaims, AckErrorBody } from '@chat/contracts';
import { mapError } from '@chat/platform';

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

interface Verified {
  claims: AccessTokenClaims;
  /** The key that verified it, as the key resolver answered then. */
  key: KeyObject;
}

/**
 * Access tokens this replica has verified, so that a reconnect wave (every client of a restarted
 * replica comes back at once, each with the token it used before) skips the ECDSA signature
 * check, the largest single cost of a handshake. A hit still asks the key resolver for the
 * token's key and must get the very same key object: a key removed from the JWKS, or any
 * refresh (which parses the keys anew), misses and verifies again. Expired tokens never hit.
 * Keyed by the whole token, so a different header, payload or signature is a different entry.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(private readonly max = 20_000) {}

  /** The token's claims if it was verified with `key` and has not expired at `nowMs`. */
  get(token: string, key: KeyObject, nowMs: number): AccessTokenClaims | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.key !== key || hit.claims.exp * 1000 <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.claims;
  }

  has(token: string): boolean {
    return this.entries.has(token);
  }

  set(token: string, claims: AccessTokenClaims, key: KeyObject): void {
    // Bounded: a full map starts over (a miss only costs one verification).
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(token, { claims, key });
  }

  get size(): number {
    return this.entries.size;
  }
}
