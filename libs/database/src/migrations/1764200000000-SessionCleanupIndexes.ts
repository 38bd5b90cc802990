import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

/**
 * Indexes for auth's clean-up of expired refresh tokens and ended sessions
 * (apps/auth/src/sessions/session-cleanup.ts), so each batch finds its rows without scanning the
 * tables. Built CONCURRENTLY (outside a transaction): logins and refreshes go on during a deploy.
 */
export class SessionCleanupIndexes1764200000000 implements MigrationInterface {
  name = 'SessionCleanupIndexes1764200000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await createIndexConcurrently(q, 'refresh_tokens_expires_at_idx', 'ON refresh_tokens (expires_at)');
    await createIndexConcurrently(
      q,
      'login_sessions_revoked_at_idx',
      'ON login_sessions (revoked_at) WHERE revoked_at IS NOT NULL',
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, 'login_sessions_revoked_at_idx');
    await dropIndexConcurrently(q, 'refresh_tokens_expires_at_idx');
  }
}
