import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

const THREAD_INDEX = 'messages_thread_seq_idx';

/**
 * Threads, per-thread read state and mentions (issue #16), safe on a large live `messages` table:
 *
 * - `messages.thread_id`, `reply_count` (constant default 0), `last_reply_at` and `mentions` are
 *   catalog-only ADD COLUMNs since PostgreSQL 11: no rewrite, no scan. Their ACCESS EXCLUSIVE lock
 *   is taken through withBriefLocks (NOWAIT, retried until free at once), so the deploy never
 *   queues a lock request that sends would queue behind; sends wait only the milliseconds the
 *   catalog change takes.
 * - `thread_id` has no foreign key. Adding one takes SHARE ROW EXCLUSIVE on `messages` (it stops
 *   every send while it waits for the lock and while it is held) and every reply would then also
 *   lock its root FOR KEY SHARE; what it would check is already checked, more strictly, by the
 *   statement that stores a reply (the root exists, is in the same channel, is a live top-level
 *   message). Messages are never deleted one by one (a deleted message stays as a tombstone) and a
 *   channel's deletion takes its replies with it, so no reply can outlive its root.
 * - `message_mentions` (one row per mentioned member, user_id NULL for @channel/@here) and
 *   `thread_follows` (who follows a thread, with their read marker) are new tables; for the same
 *   reason they have no foreign key to `messages` or `channels` (a send updates `channels` too).
 *   Their rows are written and removed by the statements that write the messages they describe,
 *   and every read joins them to a live message and a membership.
 * - The thread index on `messages` is built CONCURRENTLY (outside a transaction, so
 *   `transaction = false`); the new tables' indexes are built while they are empty.
 */
export class ThreadsMentions1765100000000 implements MigrationInterface {
  name = 'ThreadsMentions1765100000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(q, [{ table: 'messages', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`
        ALTER TABLE messages
          ADD COLUMN IF NOT EXISTS thread_id uuid,
          ADD COLUMN IF NOT EXISTS reply_count integer NOT NULL DEFAULT 0,
          ADD COLUMN IF NOT EXISTS last_reply_at timestamptz,
          ADD COLUMN IF NOT EXISTS mentions jsonb`);
    });
    await q.query(`
      CREATE TABLE IF NOT EXISTS message_mentions (
        message_id uuid NOT NULL,
        channel_id uuid NOT NULL,
        seq bigint NOT NULL,
        author_id uuid NOT NULL,
        user_id uuid
      )`);
    // One row per (message, member or channel); also serves the removal of a message's mentions.
    await q.query(`
      CREATE UNIQUE INDEX IF NOT EXISTS message_mentions_message_user_key
        ON message_mentions (message_id, user_id) NULLS NOT DISTINCT`);
    // mentionCount: a member's and the channel's mentions after a read marker.
    await q.query(`
      CREATE INDEX IF NOT EXISTS message_mentions_channel_user_seq_idx
        ON message_mentions (channel_id, user_id, seq)`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS thread_follows (
        user_id uuid NOT NULL,
        root_id uuid NOT NULL,
        channel_id uuid NOT NULL,
        last_read_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, root_id)
      )`);
    // A thread's replies by seq: the replies page, unread replies, search by thread.
    await createIndexConcurrently(
      q,
      THREAD_INDEX,
      `ON messages (thread_id, seq) WHERE thread_id IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, THREAD_INDEX);
    await q.query(`DROP TABLE IF EXISTS thread_follows`);
    await q.query(`DROP TABLE IF EXISTS message_mentions`);
    await withBriefLocks(q, [{ table: 'messages', mode: 'ACCESS EXCLUSIVE' }], async () => {
      // Dropping a column is catalog-only too (the space is reclaimed by later writes).
      await q.query(`
        ALTER TABLE messages
          DROP COLUMN IF EXISTS mentions,
          DROP COLUMN IF EXISTS last_reply_at,
          DROP COLUMN IF EXISTS reply_count,
          DROP COLUMN IF EXISTS thread_id`);
    });
  }
}
