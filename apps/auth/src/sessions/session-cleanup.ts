import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Periodic } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SessionsRepository } from './sessions.repository';

export interface CleanupResult {
  tokens: number;
  sessions: number;
  /** False when another replica held the clean-up lock, so this run did nothing. */
  ran: boolean;
}

/**
 * Deletes what can no longer be used, in small batches (one short transaction each, LIMIT n, so a
 * run never holds many row locks for long), at most one auth replica at a time (a transaction-level
 * advisory lock; without it the batches would still be correct, only duplicated work):
 *
 * - refresh tokens past their own expiry. Reuse detection (tokens.service.ts) needs a spent token
 *   only while presenting it could still mean something: after its expiry it is refused whether or
 *   not its row exists, and a thief holding it can do nothing with it. Spent tokens that have not
 *   expired stay, so a replayed one still revokes its session. Keeping expired spent tokens until
 *   the whole family expires would keep every row of a session that is refreshed every day
 *   forever (about 100 a day per active device).
 * - sessions left with no token (every token expired: the family has expired);
 * - revoked sessions (logout, ban, detected reuse) with their tokens: every token of a revoked
 *   session is already refused, and refused the same way once deleted.
 */
@Injectable()
export class SessionCleanup implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SessionCleanup');
  private readonly periodic: Periodic;

  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {
    const { intervalSeconds } = config.sessions.cleanup;
    this.periodic = new Periodic(
      intervalSeconds * 1000,
      () => this.runOnce(),
      (err: unknown) =>
        this.log.warn(`clean-up failed, retried in ${intervalSeconds} s: ${(err as Error).message}`),
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.periodic.stop();
  }

  /** One clean-up run: batches until nothing is left (or stopping). */
  async runOnce(now: Date = new Date()): Promise<CleanupResult> {
    const limit = this.config.sessions.cleanup.batchSize;
    const total: CleanupResult = { tokens: 0, sessions: 0, ran: false };
    for (;;) {
      const batch = await this.sessions.transaction(async (tx) =>
        (await tx.tryCleanupLock()) ? this.batch(tx, now, limit) : undefined,
      );
      if (!batch) break;
      total.ran = true;
      total.tokens += batch.tokens;
      total.sessions += batch.sessions;
      if (batch.full === false || this.periodic.isStopped) break;
    }
    if (total.tokens || total.sessions)
      this.log.log(`deleted ${total.tokens} expired refresh token(s) and ${total.sessions} ended session(s)`);
    return total;
  }

  private async batch(
    tx: SessionsRepository,
    now: Date,
    limit: number,
  ): Promise<{ tokens: number; sessions: number; full: boolean }> {
    const touched = await tx.deleteExpiredTokens(now, limit);
    // Their sessions, where no token is left: the family has expired (a later token of a live
    // family always expires after the earlier ones, so a live family keeps a token).
    const emptied = await tx.deleteEmptied([...new Set(touched)]);
    const revoked = await tx.deleteRevoked(limit);
    return {
      tokens: touched.length,
      sessions: emptied + revoked,
      full: touched.length >= limit || revoked >= limit,
    };
  }
}
