import type { AckErrorBody } from '@chat/contracts';
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
