import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { AccessTokenClaims, AuthResult, Role } from '@chat/contracts';
import { toUserDto, type UserRecord } from '@chat/domain';
import { ACCESS_TOKEN_ALGORITHM } from '@chat/security';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { KeyStore } from '../keys/key-store';
import { AuthMetrics } from '../observability/auth-metrics';
import { SessionErrors } from './sessions.errors';
import { SessionsRepository, type NewRefreshToken } from './sessions.repository';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Access tokens (short-lived ES256 JWTs) and refresh tokens (opaque, stored hashed, rotated on every
 * use). A login is a session: every refresh token descends from it, and presenting a spent one
 * revokes the whole session, since only a thief would still hold it.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly metrics: AuthMetrics,
  ) {}

  signAccessToken(user: { id: string; username: string; roles: readonly Role[] }): string {
    const claims: Omit<AccessTokenClaims, 'iat' | 'exp' | 'iss' | 'aud'> = {
      sub: user.id,
      username: user.username,
      roles: [...user.roles],
      jti: randomUUID(),
      typ: 'access',
    };
    return jwt.sign(claims, this.keys.current.privateKey, {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      keyid: this.keys.current.kid,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
      expiresIn: this.config.jwt.accessTtlSeconds,
    });
  }

  /** A new login: a session and its first refresh token. */
  async startSession(user: UserRecord): Promise<AuthResult> {
    const { token, stored } = this.newRefreshToken();
    await this.sessions.start(user.id, stored);
    return this.result(user, token);
  }

  /** Spends `refreshToken` and returns a new pair; reuse of a spent token revokes its session. */
  async refresh(refreshToken: string): Promise<AuthResult> {
    let reused = false;
    // null: refused, for whichever reason (the answer never says which).
    const result = await this.sessions.transaction(async (tx): Promise<AuthResult | null> => {
      const row = await tx.findToken(hashToken(refreshToken));
      if (!row) return null;
      const session = await tx.lockWithUser(row.sessionId);
      if (!session || session.revokedAt) return null;
      if (!(await tx.spend(row.id))) {
        await tx.revoke(session.id);
        reused = true;
        return null;
      }
      if (row.expiresAt.getTime() <= Date.now()) return null;
      const { user } = session;
      if (!user || user.bannedAt) return null;
      const { token, stored } = this.newRefreshToken();
      await tx.addToken(session.id, stored);
      return this.result(user, token);
    });
    // Counted and thrown only after the transaction: the revocation above must commit.
    if (reused) this.metrics.refreshTokenReused();
    if (!result) throw SessionErrors.invalidRefreshToken();
    return result;
  }

  /** Ends the session the token belongs to (whether or not the token was already spent). */
  async logout(refreshToken: string): Promise<void> {
    await this.sessions.revokeByToken(hashToken(refreshToken));
  }

  /** A new refresh token, and what of it is stored (its hash, never the token). */
  private newRefreshToken(): { token: string; stored: NewRefreshToken } {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000);
    return { token, stored: { tokenHash: hashToken(token), expiresAt } };
  }

  private result(user: UserRecord, refreshToken: string): AuthResult {
    return {
      user: toUserDto(user),
      accessToken: this.signAccessToken(user),
      refreshToken,
      expiresIn: this.config.jwt.accessTtlSeconds,
    };
  }
}
