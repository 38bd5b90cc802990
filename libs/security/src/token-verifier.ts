import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { ROLES, type AccessTokenClaims } from '@chat/contracts';
import type { KeyResolver } from './key-resolver';

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
}

/** The only algorithm accepted: `alg: none`, HS256-with-the-public-key and friends are refused. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';

export class InvalidTokenError extends Error {}

function isClaims(p: JwtPayload | string): p is AccessTokenClaims & JwtPayload {
  if (typeof p === 'string') return false;
  return (
    p.typ === 'access' &&
    typeof p.sub === 'string' &&
    typeof p.username === 'string' &&
    Array.isArray(p.roles) &&
    (p.roles as unknown[]).every((r) => ROLES.includes(r as never)) &&
    typeof p.exp === 'number'
  );
}

/** Verifies an access token's signature, algorithm, issuer, audience, expiry and type. */
export class TokenVerifier {
  constructor(
    private readonly keys: KeyResolver,
    private readonly opts: TokenVerifierOptions,
  ) {}

  /**
   * Parsed keys by PEM, for resolvers that answer PEM strings (the auth service's own key store):
   * parsing a PEM on every verification cost ~5% of a busy gateway. Keyed by the PEM, not the kid,
   * so the resolver alone decides whether a kid is still trusted (a key removed from the JWKS
   * must stop verifying: nothing here may remember it).
   */
  private readonly parsed = new Map<string, KeyObject>();

  /** Public key for a raw token's header, for passport-jwt's `secretOrKeyProvider`. */
  async keyFor(rawToken: string): Promise<KeyObject> {
    const decoded = jwt.decode(rawToken, { complete: true });
    const kid = decoded?.header?.kid;
    if (
      !decoded ||
      decoded.header.alg !== ACCESS_TOKEN_ALGORITHM ||
      typeof kid !== 'string' ||
      kid.length > 128
    ) {
      throw new InvalidTokenError('unsupported token header');
    }
    let found: string | KeyObject;
    try {
      found = await this.keys.publicKey(kid);
    } catch {
      throw new InvalidTokenError('unknown signing key');
    }
    if (typeof found !== 'string') return found;
    let key = this.parsed.get(found);
    if (!key) {
      try {
        key = createPublicKey(found);
      } catch {
        throw new InvalidTokenError('unknown signing key');
      }
      // Only keys the resolver vouched for get here; the bound only guards against a resolver
      // whose keys keep changing.
      if (this.parsed.size >= 32) this.parsed.clear();
      this.parsed.set(found, key);
    }
    return key;
  }

  /** Claims of a valid access token; throws InvalidTokenError otherwise. */
  async verify(rawToken: string): Promise<AccessTokenClaims> {
    if (typeof rawToken !== 'string' || rawToken.length === 0 || rawToken.length > 4096) {
      throw new InvalidTokenError('missing token');
    }
    const key = await this.keyFor(rawToken);
    let payload: JwtPayload | string;
    try {
      payload = jwt.verify(rawToken, key, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
      });
    } catch (err) {
      throw new InvalidTokenError((err as Error).message);
    }
    return this.checkClaims(payload);
  }

  /** Type check of already-verified claims (passport-jwt verifies the signature itself). */
  checkClaims(payload: JwtPayload | string): AccessTokenClaims {
    if (!isClaims(payload)) throw new InvalidTokenError('not an access token');
    return payload;
  }
}
