import { Injectable } from '@nestjs/common';
import type { AccessTokenClaims } from '@chat/contracts';
import type { Principal } from './principal';
import { InvalidTokenError, TokenVerifier } from './token-verifier';
import { UserStatusService } from './user-status.service';
import { SecurityErrors } from './security.errors';

/**
 * Token → Principal, shared by the HTTP guard (through passport-jwt) and the socket.io handshake:
 * a valid signature is not enough, the user must still exist and not be banned.
 */
@Injectable()
export class Authenticator {
  constructor(
    readonly verifier: TokenVerifier,
    private readonly status: UserStatusService,
  ) {}

  /** For a raw token (socket handshake). Throws SecurityErrors.missingToken / invalidToken (UNAUTHORIZED). */
  async authenticate(rawToken: unknown): Promise<Principal> {
    if (typeof rawToken !== 'string') throw SecurityErrors.missingToken();
    let claims: AccessTokenClaims;
    try {
      claims = await this.verifier.verify(rawToken);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw SecurityErrors.invalidToken();
      throw err;
    }
    return this.principalFor(claims);
  }

  /** For claims whose signature was already verified (passport-jwt). */
  async principalFor(claims: AccessTokenClaims): Promise<Principal> {
    const status = await this.status.get(claims.sub);
    if (!status || status.banned) throw SecurityErrors.invalidToken();
    return { id: claims.sub, username: status.username, roles: status.roles, exp: claims.exp };
  }
}
