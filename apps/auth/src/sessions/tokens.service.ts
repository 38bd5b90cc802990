import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import jwt from 'jsonwebtoken';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import type { AccessTokenClaims, AuthResult, Role } from '@chat/contracts';
import { LoginSessionEntity, RefreshTokenEntity, UserEntity } from '@chat/database';
import { AppError } from '@chat/platform';
import { ACCESS_TOKEN_ALGORITHM } from '@chat/security';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { KeyStore } from '../keys/key-store';
import { toUserDto } from '../accounts/user.mapper';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const INVALID = () => new AppError('UNAUTHORIZED', 'Invalid or expired refresh token');

/**
 * Access tokens (short-lived ES256 JWTs) and refresh tokens (opaque, stored hashed, rotated on every
 * use). A login is a session: every refresh token descends from it, and presenting a spent one
 * revokes the whole session, since only a thief would still hold it.
 */
@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(KeyStore) private readonly keys: KeyStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  signAccessToken(user: { id: string; username: string; roles: Role[] }): string {
    const claims: Omit<AccessTokenClaims, 'iat' | 'exp' | 'iss' | 'aud'> = {
      sub: user.id,
      username: user.username,
      roles: user.roles,
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
  async startSession(user: UserEntity): Promise<AuthResult> {
    return this.db.transaction(async (tx) => {
      const session = await tx.save(tx.create(LoginSessionEntity, { userId: user.id }));
      const refreshToken = await this.issueRefreshToken(tx, session.id);
      return this.result(user, refreshToken);
    });
  }

  /** Spends `refreshToken` and returns a new pair; reuse of a spent token revokes its session. */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const outcome = await this.db.transaction(
      async (tx): Promise<{ error: AppError; result?: never } | { error?: never; result: AuthResult }> => {
        const row = await tx.findOne(RefreshTokenEntity, { where: { tokenHash: hashToken(refreshToken) } });
        if (!row) return { error: INVALID() };
        const session = await tx.findOne(LoginSessionEntity, {
          where: { id: row.sessionId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!session || session.revokedAt) return { error: INVALID() };
        // Spend it only if still unspent: of two racing refreshes exactly one wins.
        const spent = await tx
          .createQueryBuilder()
          .update(RefreshTokenEntity)
          .set({ spentAt: () => 'now()' })
          .where({ id: row.id, spentAt: IsNull() })
          .execute();
        if (!spent.affected) {
          await tx.update(LoginSessionEntity, { id: session.id }, { revokedAt: () => 'now()' });
          return { error: INVALID() };
        }
        if (row.expiresAt.getTime() <= Date.now()) return { error: INVALID() };
        const user = await tx.findOne(UserEntity, { where: { id: session.userId } });
        if (!user || user.bannedAt) return { error: INVALID() };
        const next = await this.issueRefreshToken(tx, session.id);
        return { result: this.result(user, next) };
      },
    );
    // The revocation above must commit, so the error is thrown only after the transaction.
    if (outcome.error) throw outcome.error;
    return outcome.result;
  }

  /** Ends the session the token belongs to (whether or not the token was already spent). */
  async logout(refreshToken: string): Promise<void> {
    const row = await this.db
      .getRepository(RefreshTokenEntity)
      .findOne({ where: { tokenHash: hashToken(refreshToken) } });
    if (!row) return;
    await this.db
      .getRepository(LoginSessionEntity)
      .update({ id: row.sessionId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** Ends every session of a user (ban). */
  async revokeAll(tx: EntityManager, userId: string): Promise<void> {
    await tx.update(LoginSessionEntity, { userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  private async issueRefreshToken(tx: EntityManager, sessionId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await tx.insert(RefreshTokenEntity, {
      sessionId,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000),
    });
    return token;
  }

  private result(user: UserEntity, refreshToken: string): AuthResult {
    return {
      user: toUserDto(user),
      accessToken: this.signAccessToken(user),
      refreshToken,
      expiresIn: this.config.jwt.accessTtlSeconds,
    };
  }
}
