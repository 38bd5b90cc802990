import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

/**
 * `users.messages_erasure_at`: an account deleted with `eraseMessages` whose messages are still
 * being erased. The auth replica doing it stamps the time at every batch and clears it when done;
 * a stamp older than the lease means that replica stopped part-way, and any auth replica takes the
 * erasure over (AccountLifecycleService). A catalog-only change under a brief NOWAIT lock, and a
 * partial index built concurrently: only such accounts are in it.
 */
export class ErasureResume1765500000000 implements MigrationInterface {
  name = 'ErasureResume1765500000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`ALTER TABLE users ADD COLUMN IF NOT EXISTS messages_erasure_at timestamptz`);
    });
    await createIndexConcurrently(
      q,
      'users_messages_erasure_idx',
      `ON users (messages_erasure_at) WHERE messages_erasure_at IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, 'users_messages_erasure_idx');
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS messages_erasure_at`);
    });
  }
}
