import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

const PREFS_INDEX = 'memberships_notify_prefs_idx';
const FOLLOWERS_INDEX = 'thread_follows_root_idx';

/**
 * Notifications (issue #17): per-member levels, Web Push subscriptions and their delivery queue,
 * and what the away digest emails read.
 *
 * - `memberships.notify` (NULL: the channel kind's default, `all` in DMs and `mentions` elsewhere)
 *   and `muted` are catalog-only ADD COLUMNs, under brief NOWAIT locks. Most members keep the
 *   default, so a partial index holds only the members who changed something: deciding who a
 *   message to a 1,000-member channel notifies reads those few rows, not the 1,000.
 * - `users.email_verified_at` / `email_notifications`: nothing is sent to an address before its
 *   owner clicked the link sent to it, and "unsubscribe" turns the digests off.
 * - `email_tokens`: the verification and unsubscribe links' secrets, stored hashed.
 * - `push_subscriptions`: one row per browser endpoint (a browser that signs in as someone else
 *   moves its endpoint to them).
 * - `push_outbox`: the durable delivery queue. One pending row per subscription and channel: a
 *   burst of messages updates the row in place (`version` bumps), so a device gets one
 *   notification per channel, replaced, not fifty. A worker claims rows with `locked_until`; a
 *   replica that dies holding one lets the lease lapse and another replica sends it.
 * - `notifications`: what each user with a verified address was notified of, for the digest;
 *   `emailed_at` marks what a digest already carried, so nothing is emailed twice.
 * - `thread_follows` gains an index by root (CONCURRENTLY): a reply notifies its followers.
 */
export class Notifications1765200000000 implements MigrationInterface {
  name = 'Notifications1765200000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(q, [{ table: 'memberships', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`
        ALTER TABLE memberships
          ADD COLUMN IF NOT EXISTS notify varchar(8)
            CONSTRAINT memberships_notify_check CHECK (notify IN ('all', 'mentions', 'none')),
          ADD COLUMN IF NOT EXISTS muted boolean NOT NULL DEFAULT false`);
    });
    // The new tables' foreign keys to `users` take a lock on it too: in the same brief NOWAIT lock.
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`
        ALTER TABLE users
          ADD COLUMN IF NOT EXISTS email_verified_at timestamptz,
          ADD COLUMN IF NOT EXISTS email_notifications boolean NOT NULL DEFAULT true,
          ADD COLUMN IF NOT EXISTS last_digest_at timestamptz`);
      await q.query(`
        CREATE TABLE IF NOT EXISTS email_tokens (
          token_hash bytea PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          purpose varchar(16) NOT NULL CHECK (purpose IN ('verify', 'unsubscribe')),
          email varchar(254) NOT NULL,
          expires_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
      await q.query(`CREATE INDEX IF NOT EXISTS email_tokens_user_idx ON email_tokens (user_id)`);
      await q.query(`CREATE INDEX IF NOT EXISTS email_tokens_expires_idx ON email_tokens (expires_at)`);
      await q.query(`
        CREATE TABLE IF NOT EXISTS push_subscriptions (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          endpoint text NOT NULL,
          p256dh varchar(128) NOT NULL,
          auth varchar(64) NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_success_at timestamptz,
          CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint)
        )`);
      await q.query(`CREATE INDEX IF NOT EXISTS push_subscriptions_user_idx ON push_subscriptions (user_id)`);
      await q.query(`
        CREATE TABLE IF NOT EXISTS push_outbox (
          id bigserial PRIMARY KEY,
          subscription_id uuid NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
          channel_id uuid NOT NULL,
          payload jsonb NOT NULL,
          version integer NOT NULL DEFAULT 1,
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          locked_until timestamptz,
          last_error text,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT push_outbox_subscription_channel_key UNIQUE (subscription_id, channel_id)
        )`);
      await q.query(`CREATE INDEX IF NOT EXISTS push_outbox_due_idx ON push_outbox (next_attempt_at)`);
      await q.query(`
        CREATE TABLE IF NOT EXISTS notifications (
          id bigserial PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          channel_id uuid NOT NULL,
          message_id uuid NOT NULL,
          seq bigint NOT NULL,
          kind varchar(8) NOT NULL,
          title varchar(200) NOT NULL,
          body varchar(400) NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          emailed_at timestamptz,
          CONSTRAINT notifications_user_message_key UNIQUE (user_id, message_id)
        )`);
      // The digest's scan: notifications not yet emailed, oldest first.
      await q.query(`
        CREATE INDEX IF NOT EXISTS notifications_pending_idx
          ON notifications (created_at) WHERE emailed_at IS NULL`);
    });
    await createIndexConcurrently(
      q,
      PREFS_INDEX,
      `ON memberships (channel_id, user_id) WHERE notify IS NOT NULL OR muted`,
    );
    // A reply notifies its thread's followers: found by root, not by scanning every follow.
    await createIndexConcurrently(q, FOLLOWERS_INDEX, `ON thread_follows (root_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await dropIndexConcurrently(q, FOLLOWERS_INDEX);
    await dropIndexConcurrently(q, PREFS_INDEX);
    // Dropping the tables drops their foreign keys to `users`: under the same brief NOWAIT lock.
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`DROP TABLE IF EXISTS notifications`);
      await q.query(`DROP TABLE IF EXISTS push_outbox`);
      await q.query(`DROP TABLE IF EXISTS push_subscriptions`);
      await q.query(`DROP TABLE IF EXISTS email_tokens`);
      await q.query(`
        ALTER TABLE users
          DROP COLUMN IF EXISTS last_digest_at,
          DROP COLUMN IF EXISTS email_notifications,
          DROP COLUMN IF EXISTS email_verified_at`);
    });
    await withBriefLocks(q, [{ table: 'memberships', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`ALTER TABLE memberships DROP COLUMN IF EXISTS muted, DROP COLUMN IF EXISTS notify`);
    });
  }
}
