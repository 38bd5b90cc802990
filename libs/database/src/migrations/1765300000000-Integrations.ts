import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';

/**
 * Integrations (issue #18): bot accounts, incoming and outgoing webhooks.
 *
 * - `users.bot`: a catalog-only ADD COLUMN with a constant default, under a brief NOWAIT lock (in
 *   a transaction of its own, so `transaction = false`). The new tables' foreign keys lock `users`
 *   and `channels` as they are created and dropped, so that happens under brief NOWAIT locks too.
 * - `bot_tokens`: one long-lived token per bot, stored as a SHA-256 hash (the token is 256 bits of
 *   randomness, so a slow hash adds nothing); deleting the bot deletes it.
 * - `webhooks`: incoming ones keep only the hash of their URL's secret; outgoing ones keep their
 *   signing secret (HMAC needs it) and target URL.
 * - `webhook_deliveries`: the outgoing queue, one row per event and webhook, delivered in `seq`
 *   order per webhook and channel (`position` orders events of one seq: a message then its edit).
 */
export class Integrations1765300000000 implements MigrationInterface {
  name = 'Integrations1765300000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`ALTER TABLE users ADD COLUMN IF NOT EXISTS bot boolean NOT NULL DEFAULT false`);
    });
    // A foreign key takes SHARE ROW EXCLUSIVE on the table it references, and every send holds ROW
    // EXCLUSIVE on `channels` (its last_seq): taken NOWAIT, so no send ever queues behind it.
    await withBriefLocks(
      q,
      [
        { table: 'users', mode: 'SHARE ROW EXCLUSIVE' },
        { table: 'channels', mode: 'SHARE ROW EXCLUSIVE' },
      ],
      async () => {
        await q.query(`
          CREATE TABLE IF NOT EXISTS bot_tokens (
            user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            token_hash bytea NOT NULL,
            created_by uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT bot_tokens_token_hash_key UNIQUE (token_hash)
          )`);
        // Outgoing delivery state: `queued_seq`, the last message seq taken into the webhook's
        // queue (null until the first worker pass sets it to the channel's last seq at the
        // webhook's creation); `lease_*`, the replica delivering it now; `retry_at`, when its
        // failing head event is tried again.
        await q.query(`
          CREATE TABLE IF NOT EXISTS webhooks (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
            name varchar(64) NOT NULL,
            -- The account an incoming webhook's messages are authored by (a bot user without a token).
            user_id uuid REFERENCES users(id) ON DELETE CASCADE,
            kind varchar(8) NOT NULL CHECK (kind IN ('incoming', 'outgoing')),
            secret_hash bytea,
            secret varchar(128),
            target_url text,
            events text[] NOT NULL DEFAULT '{}',
            created_by uuid NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            queued_seq bigint,
            lease_until timestamptz,
            lease_token uuid,
            retry_at timestamptz
          )`);
      },
    );
    await q.query(`CREATE INDEX IF NOT EXISTS webhooks_channel_idx ON webhooks (channel_id)`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        channel_id uuid NOT NULL,
        seq bigint NOT NULL,
        position bigserial,
        event varchar(32) NOT NULL,
        payload jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        failed_at timestamptz,
        last_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The head of each webhook's queue: its oldest undelivered event, a message before its edits
    // (a message's message:new row may be queued after an edit of it was).
    await q.query(`
      CREATE INDEX IF NOT EXISTS webhook_deliveries_pending_idx
        ON webhook_deliveries (webhook_id, seq, (event <> 'message:new'), position)
        WHERE delivered_at IS NULL AND failed_at IS NULL`);
    // A webhook's recent deliveries, for its owner.
    await q.query(`
      CREATE INDEX IF NOT EXISTS webhook_deliveries_recent_idx
        ON webhook_deliveries (webhook_id, created_at DESC, position DESC)`);
    // Pruning of settled deliveries past their retention.
    await q.query(`
      CREATE INDEX IF NOT EXISTS webhook_deliveries_settled_idx
        ON webhook_deliveries (created_at)
        WHERE delivered_at IS NOT NULL OR failed_at IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Dropping a foreign key takes ACCESS EXCLUSIVE on the table it references: NOWAIT, so sends
    // wait only the milliseconds the drop takes.
    await withBriefLocks(
      q,
      [
        { table: 'users', mode: 'ACCESS EXCLUSIVE' },
        { table: 'channels', mode: 'ACCESS EXCLUSIVE' },
      ],
      async () => {
        await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
        await q.query(`DROP TABLE IF EXISTS webhooks`);
        await q.query(`DROP TABLE IF EXISTS bot_tokens`);
        await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS bot`);
      },
    );
  }
}
