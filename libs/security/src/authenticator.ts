import { Injectable } from '@nestjs/common';
import type { AccessTokenClaims } from '@chat/contracts';
import { BOT_TOKEN_EXP, isBotToken, looksLikeBotToken } from './bot-token';
import { BotTokens } from './bot-tokens.service';
import type { Principal } from './principal';
import { InvalidTokenError, TokenVerifier } from './token-verifier';
import { UserStatusService } from './user-status.service';
import { SecurityErrors } from './security.errors';

/**
 * Token → Principal, shared by the HTTP guard (through passport-jwt) and the socket.io handshake:
 * a valid signature is not enough, the user must still exist and not be banned. A bot token
 * (`chatbot_…`) stands for an access token that never expires; it is checked against the database.
 */
@Injectable()
export class Authenticator {
  constructor(
    readonly verifier: TokenVerifier,
    private readonly status: UserStatusService,
    private readonly bots: BotTokens,
  ) {}

  /**
   * For a raw token (socket handshake, or a bot token from an HTTP header). Throws
   * SecurityErrors.missingToken / invalidToken (UNAUTHORIZED).
   */
  async authenticate(rawToken: unknown): Promise<Principal> {
    const claims = await this.claimsOf(rawToken);
    return claims ? this.principalFor(claims) : this.authenticateBot(rawToken as string);
  }

  /**
   * The verified claims of an access token, or null for a bot token (which has none: it is checked
   * against the database by `authenticate`). Only the signature and claims are checked here, so a
   * caller can read what it needs of the user while `principalFor` checks their status. Throws
   * SecurityErrors.missingToken / invalidToken (UNAUTHORIZED).
   */
  async claimsOf(rawToken: unknown): Promise<AccessTokenClaims | null> {
    if (typeof rawToken !== 'string') throw SecurityErrors.missingToken();
    if (looksLikeBotToken(rawToken)) return null;
    try {
      return await this.verifier.verify(rawToken);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw SecurityErrors.invalidToken();
      throw err;
    }
  }

  /**
   * For claims whose signature was already verified (passport-jwt, or a token the socket
   * handshake verified before): only whose they are and their expiry are read.
   */
  async principalFor(claims: Pick<AccessTokenClaims, 'sub' | 'exp'>): Promise<Principal> {
    const status = await this.status.get(claims.sub);
    if (!status || status.banned) throw SecurityErrors.invalidToken();
    const principal: Principal = {
      id: claims.sub,
      username: status.username,
      roles: status.roles,
      exp: claims.exp,
    };
    if (status.totpSetupRequired) principal.totpSetupRequired = true;
    return principal;
  }

  /** A bot token: its bot must hold it still (deleting the bot deletes it) and not be banned. */
  private async authenticateBot(rawToken: string): Promise<Principal> {
    const userId = isBotToken(rawToken) ? await this.bots.userIdFor(rawToken) : null;
    if (!userId) throw SecurityErrors.invalidToken();
    const status = await this.status.get(userId);
    if (!status || status.banned) throw SecurityErrors.invalidToken();
    return { id: userId, username: status.username, roles: status.roles, exp: BOT_TOKEN_EXP, bot: true };
  }
}
