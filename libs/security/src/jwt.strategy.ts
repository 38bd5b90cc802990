import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { JwtPayload } from 'jsonwebtoken';
import { Authenticator } from './authenticator';
import type { Principal } from './principal';
import { ACCESS_TOKEN_ALGORITHM, TokenVerifier, type TokenVerifierOptions } from './token-verifier';
import { SECURITY_OPTIONS } from './tokens';
import { Inject } from '@nestjs/common';

/** passport-jwt over the shared key resolver: Bearer token, ES256 only, issuer and audience pinned. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    verifier: TokenVerifier,
    private readonly authenticator: Authenticator,
    @Inject(SECURITY_OPTIONS) opts: TokenVerifierOptions,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: opts.issuer,
      audience: opts.audience,
      ignoreExpiration: false,
      secretOrKeyProvider: (_req: unknown, rawToken: string, done: (err: unknown, key?: string) => void) => {
        verifier.keyFor(rawToken).then(
          (key) => done(null, key),
          (err: unknown) => done(err),
        );
      },
    });
  }

  async validate(payload: JwtPayload): Promise<Principal> {
    const verifier = this.authenticator.verifier;
    return this.authenticator.principalFor(verifier.checkClaims(payload));
  }
}
