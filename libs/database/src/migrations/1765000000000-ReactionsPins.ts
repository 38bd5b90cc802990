import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

const PINNED_INDEX = 'messages_channel_pinned_at_idx';
const UPDATED_INDEX = 'messages_channel_updated_at_idx';
const AUTHOR_INDEX = 'messages_author_channel_created_at_idx';
const ATTACHED_FILES_INDEX = 'files_channel_attached_idx';

/**
 * Reactions, pins and change tracking (issue #16), safe on a large live `messages` table:
 *
 * - `messages.pinned_at`, `pinned_by` and `updated_at` are nullable columns without a default: since
 *   PostgreSQL 11 ADD COLUMN with no default (or a constant one) only changes the catalog, with no
 *   table rewrite and no scan. `pinned_by` has no foreign key, which would scan `messages` to
 *   validate (users are never deleted; it says who pinned, nothing depends on it).
 * - `message_reactions` is a new table whose foreign keys cascade the deletion of a message (a
 *   channel's deletion) or a user. Creating them adds triggers to `messages` and `users`, which
 *   takes a SHARE ROW EXCLUSIVE lock on each; the table is empty, so nothing is scanned.
 * - Both the ALTER (ACCESS EXCLUSIVE) and the foreign keys take their locks through
 *   withBriefLocks: NOWAIT, retried until free at once, so the deploy never queues a lock request
 *   that sends would queue behind; sends wait only the milliseconds the catalog change takes.
 * - The indexes are built CONCURRENTLY (outside a transaction, so `transaction = false`): pins per
 *   channel newest first, changed messages per channel (channel:sync `changedSince`), an author's
 *   messages per channel newest first (search's `from=`), and the attached files of channels
 *   (search's `has=file`, read index-only).
 */
export class ReactionsPins1765000000000 implements MigrationInterface {
  name = 'ReactionsPins1765000000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(
      q,
      [
        { table: 'messages', mode: 'ACCESS EXCLUSIVE' },
        { table: 'users', mode: 'SHARE ROW EXCLUSIVE' },
      ],
      async () => {
        await q.query(`
          ALTER TABLE messages
            ADD COLUMN IF NOT EXISTS pinned_at timestamptz,
            ADD COLUMN IF NOT EXISTS pinned_by uuid,
            ADD COLUMN IF NOT EXISTS updated_at timestamptz`);
        await q.query(`
          CREATE TABLE IF NOT EXISTS message_reactions (
            message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            emoji text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (message_id, emoji, user_id)
          )`);
        // For the cascade when a user is deleted (the primary key serves every read by message).
        await q.query(
          `CREATE INDEX IF NOT EXISTS message_reactions_user_id_idx ON message_reactions (user_id)`,
        );
      },
    );
    await createIndexConcurrently(
      q,
      PINNED_INDEX,
      `ON messages (channel_id, pinned_at DESC) WHERE pinned_at IS NOT NULL`,
    );
    await createIndexConcurrently(
      q,
      UPDATED_INDEX,
      `ON messages (channel_id, updated_at) WHERE updated_at IS NOT NULL`,
    );
    await createIndexConcurrently(q, AUTHOR_INDEX, `ON messages (author_id, channel_id, created_at DESC)`);
    await createIndexConcurrently(
      q,
      ATTACHED_FILES_INDEX,
      `ON files (channel_id, message_id) WHERE status = 'ready' AND message_id IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, ATTACHED_FILES_INDEX);
    await dropIndexConcurrently(q, AUTHOR_INDEX);
    await dropIndexConcurrently(q, UPDATED_INDEX);
    await dropIndexConcurrently(q, PINNED_INDEX);
    await withBriefLocks(
      q,
      [
        { table: 'messages', mode: 'ACCESS EXCLUSIVE' },
        { table: 'users', mode: 'ACCESS EXCLUSIVE' },
      ],
      async () => {
        await q.query(`DROP TABLE IF EXISTS message_reactions`);
        // Dropping a column is catalog-only too (the space is reclaimed by later writes).
        await q.query(`
          ALTER TABLE messages
            DROP COLUMN IF EXISTS updated_at,
            DROP COLUMN IF EXISTS pinned_by,
            DROP COLUMN IF EXISTS pinned_at`);
      },
    );
  }
}
