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

  /** Parsed public keys by kid: parsing a PEM on every verification cost ~5% of a busy gateway. */
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
    const cached = this.parsed.get(kid);
    if (cached) return cached;
    let key: KeyObject;
    try {
      key = createPublicKey(await this.keys.publicKey(kid));
    } catch {
      throw new InvalidTokenError('unknown signing key');
    }
    // Only keys the resolver vouched for get here, so the map stays as small as the JWKS.
    this.parsed.set(kid, key);
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
