import type { KeyObject } from 'node:crypto';
import { Strategy as PassportStrategy } from 'passport';
import { ExtractJwt, Strategy, type VerifiedCallback } from 'passport-jwt';
import type { Request } from 'express';
import type { JwtPayload } from 'jsonwebtoken';
import { AppError } from '@chat/platform';
import type { Authenticator } from './authenticator';
import type { Principal } from './principal';
import { ACCESS_TOKEN_ALGORITHM, type TokenVerifier, type TokenVerifierOptions } from './token-verifier';

/**
 * passport-jwt over the shared key resolver: Bearer token, ES256 only, issuer and audience pinned,
 * then the live ban/role check. One instance per app (not passport's process-wide registry), so
 * several services can share a process (local mode, tests) without overwriting each other.
 */
export function createJwtStrategy(
  verifier: TokenVerifier,
  authenticator: Authenticator,
  opts: TokenVerifierOptions,
): Strategy {
  return new Strategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: opts.issuer,
      audience: opts.audience,
      ignoreExpiration: false,
      secretOrKeyProvider: (_req: unknown, rawToken: string, done: (err: unknown, key?: string) => void) => {
        verifier.keyFor(rawToken).then(
          // passport-jwt hands the key straight to jsonwebtoken.verify, which takes a KeyObject;
          // its typings only list string | Buffer.
          (key: KeyObject) => done(null, key as unknown as string),
          (err: unknown) => done(err),
        );
      },
    },
    (payload: JwtPayload, done: VerifiedCallback) => {
      let claims;
      try {
        claims = verifier.checkClaims(payload);
      } catch {
        done(null, false);
        return;
      }
      authenticator.principalFor(claims).then(
        (principal) => done(null, principal),
        (err: unknown) =>
          err instanceof AppError && err.code === 'UNAUTHORIZED' ? done(null, false) : done(err),
      );
    },
  );
}

/** Runs a passport strategy on one request, the way passport's middleware would. */
export function authenticateRequest(
  strategy: PassportStrategy,
  req: Request,
): Promise<Principal | undefined> {
  return new Promise((resolve, reject) => {
    const run = Object.create(strategy) as {
      authenticate(req: Request, options: object): void;
      success(user: Principal): void;
      fail(): void;
      error(err: unknown): void;
      pass(): void;
      redirect(): void;
    };
    run.success = (user) => resolve(user);
    run.fail = () => resolve(undefined);
    run.pass = () => resolve(undefined);
    run.redirect = () => resolve(undefined);
    run.error = (err) => reject(err instanceof Error ? err : new Error(String(err)));
    run.authenticate(req, {});
  });
}
