import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';

/** An outgoing webhook a worker holds the lease of. */
export interface LeasedWebhook {
  id: string;
  channelId: string;
  targetUrl: string;
  secret: string;
  events: string[];
  /** The last message seq taken into its queue; null before its first pass. */
  queuedSeq: number | null;
  createdAt: Date;
}

/** One event of a webhook's queue. */
export interface QueuedDelivery {
  id: string;
  webhookId: string;
  channelId: string;
  seq: number;
  event: string;
  payload: unknown;
  attempts: number;
  createdAt: Date;
}

/** One event as the delivery log shows it. */
export interface DeliveryLogRow {
  id: string;
  event: string;
  seq: number;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
}

interface WebhookRecord {
  id: string;
  channel_id: string;
  target_url: string;
  secret: string;
  events: string[];
  queued_seq: string | null;
  created_at: Date;
}

interface DeliveryRecord {
  id: string;
  webhook_id: string;
  channel_id: string;
  seq: string;
  event: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
}

/** A queue's head: by seq, a message before its edits and deletion, then in order of enqueueing. */
const HEAD_ORDER = `seq, (event <> 'message:new'), position`;
const PENDING = `delivered_at IS NULL AND failed_at IS NULL`;

/** Every statement of outgoing webhook delivery: leases, the queues, the delivery log. */
@Injectable()
export class OutgoingWebhooksRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Leases one outgoing webhook with something to deliver now (a pending event, or a message after
   * its cursor when it takes message:new) and no live lease, skipping rows another replica is
   * claiming at this instant. The one waiting longest goes first.
   */
  async claim(token: string, leaseMs: number): Promise<LeasedWebhook | null> {
    const row = await this.sql.one<WebhookRecord>(
      `UPDATE webhooks w SET lease_until = now() + $2 * interval '1 millisecond', lease_token = $1
        WHERE w.id = (
          SELECT c.id FROM webhooks c JOIN channels ch ON ch.id = c.channel_id
           WHERE c.kind = 'outgoing' AND c.target_url IS NOT NULL AND c.secret IS NOT NULL
             AND (c.lease_until IS NULL OR c.lease_until < now())
             AND (c.retry_at IS NULL OR c.retry_at <= now())
             AND (EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = c.id AND d.${PENDING})
                  OR ('message:new' = ANY (c.events) AND ch.last_seq > COALESCE(c.queued_seq, -1)))
           ORDER BY COALESCE(c.retry_at, c.lease_until, c.created_at)
           LIMIT 1
           FOR UPDATE OF c SKIP LOCKED)
        RETURNING w.id, w.channel_id, w.target_url, w.secret, w.events, w.queued_seq, w.created_at`,
      [token, leaseMs],
    );
    return row ? toWebhook(row) : null;
  }

  /** Extends the lease; false when it was lost (expired and taken, or the webhook deleted). */
  async renew(webhookId: string, token: string, leaseMs: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE webhooks SET lease_until = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND lease_token = $2 RETURNING id`,
      [webhookId, token, leaseMs],
    );
    return rows.length > 0;
  }

  async release(webhookId: string, token: string): Promise<void> {
    await this.sql.rows(
      // Expired now rather than cleared: the claim takes the least recently worked webhook first.
      `UPDATE webhooks SET lease_until = now(), lease_token = NULL WHERE id = $1 AND lease_token = $2`,
      [webhookId, token],
    );
  }

  /** The last seq of the channel's messages created by the time the webhook was (its start). */
  async seqAt(channelId: string, at: Date): Promise<number> {
    // Backwards from the newest seq: the webhook is young, so the answer is near the end.
    const row = await this.sql.one<{ seq: string }>(
      `SELECT seq FROM messages WHERE channel_id = $1 AND created_at <= $2 ORDER BY seq DESC LIMIT 1`,
      [channelId, at],
    );
    return Number(row?.seq ?? 0);
  }

  async hasPendingNew(webhookId: string): Promise<boolean> {
    const row = await this.sql.one(
      `SELECT 1 FROM webhook_deliveries WHERE webhook_id = $1 AND event = 'message:new' AND ${PENDING} LIMIT 1`,
      [webhookId],
    );
    return row !== undefined;
  }

  /**
   * Queues message:new for `messages` (consecutive seqs after `fromSeq`) and moves the cursor past
   * them, in one transaction, if the cursor is still `fromSeq` and the lease still ours: a replica
   * whose lease lapsed mid-way queues nothing twice. `messages` empty: only moves the cursor.
   */
  async queueNew(
    webhook: { id: string; channelId: string },
    token: string,
    fromSeq: number | null,
    toSeq: number,
    messages: { seq: number }[],
  ): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const moved = await tx.rows(
        `UPDATE webhooks SET queued_seq = $4
          WHERE id = $1 AND lease_token = $2 AND queued_seq IS NOT DISTINCT FROM $3::bigint RETURNING id`,
        [webhook.id, token, fromSeq, toSeq],
      );
      if (moved.length === 0) return false;
      if (messages.length > 0)
        await tx.rows(
          `INSERT INTO webhook_deliveries (webhook_id, channel_id, seq, event, payload)
           SELECT $1, $2, (m ->> 'seq')::bigint, 'message:new', m
             FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(m, n) ORDER BY n`,
          [webhook.id, webhook.channelId, JSON.stringify(messages)],
        );
      return true;
    });
  }

  /** The next event to deliver, or null when the queue is empty. */
  async head(webhookId: string): Promise<QueuedDelivery | null> {
    const row = await this.sql.one<DeliveryRecord>(
      `SELECT id, webhook_id, channel_id, seq, event, payload, attempts, created_at
         FROM webhook_deliveries WHERE webhook_id = $1 AND ${PENDING}
        ORDER BY ${HEAD_ORDER} LIMIT 1`,
      [webhookId],
    );
    return row
      ? {
          id: row.id,
          webhookId: row.webhook_id,
          channelId: row.channel_id,
          seq: Number(row.seq),
          event: row.event,
          payload: row.payload,
          attempts: row.attempts,
          createdAt: row.created_at,
        }
      : null;
  }

  async delivered(deliveryId: string, webhookId: string, status: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.rows(
        `UPDATE webhook_deliveries
            SET delivered_at = now(), attempts = attempts + 1, last_status = $2, last_error = NULL
          WHERE id = $1 AND ${PENDING}`,
        [deliveryId, status],
      );
      await tx.rows(`UPDATE webhooks SET retry_at = NULL WHERE id = $1`, [webhookId]);
    });
  }

  /**
   * Records a failed attempt: with `retryAt` the webhook's queue waits until then (its head stays
   * first); without, the event is given up on and the queue moves on.
   */
  async attemptFailed(
    deliveryId: string,
    webhookId: string,
    outcome: { status: number | null; error: string | null },
    retryAt: Date | null,
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.rows(
        `UPDATE webhook_deliveries
            SET attempts = attempts + 1, last_status = $2, last_error = $3,
                next_attempt_at = COALESCE($4, next_attempt_at),
                failed_at = CASE WHEN $4::timestamptz IS NULL THEN now() END
          WHERE id = $1 AND ${PENDING}`,
        [deliveryId, outcome.status, outcome.error, retryAt],
      );
      await tx.rows(`UPDATE webhooks SET retry_at = $2 WHERE id = $1`, [webhookId, retryAt]);
    });
  }

  /**
   * Queues an event for every outgoing webhook of the channel that takes it; answers how many. One
   * statement, so a webhook created meanwhile either gets it or does not, never half of it.
   */
  async enqueue(channelId: string, event: string, seq: number, payload: unknown): Promise<number> {
    const rows = await this.sql.rows(
      `INSERT INTO webhook_deliveries (webhook_id, channel_id, seq, event, payload)
       SELECT id, channel_id, $3::bigint, $2::text, $4::jsonb FROM webhooks
        WHERE channel_id = $1 AND kind = 'outgoing' AND $2::text = ANY (events)
       RETURNING id`,
      [channelId, event, seq, JSON.stringify(payload)],
    );
    return rows.length;
  }

  /** Whether `webhookId` is an outgoing webhook of the channel. */
  async isOutgoingOf(channelId: string, webhookId: string): Promise<boolean> {
    const row = await this.sql.one(
      `SELECT 1 FROM webhooks WHERE id = $1 AND channel_id = $2 AND kind = 'outgoing'`,
      [webhookId, channelId],
    );
    return row !== undefined;
  }

  /** The webhook's most recent events, newest first (webhook_deliveries_recent_idx). */
  async recent(webhookId: string, limit: number): Promise<DeliveryLogRow[]> {
    const rows = await this.sql.rows<{
      id: string;
      event: string;
      seq: string;
      attempts: number;
      last_status: number | null;
      last_error: string | null;
      created_at: Date;
      delivered_at: Date | null;
      failed_at: Date | null;
    }>(
      `SELECT id, event, seq, attempts, last_status, last_error, created_at, delivered_at, failed_at
         FROM webhook_deliveries WHERE webhook_id = $1
        ORDER BY created_at DESC, position DESC LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      seq: Number(r.seq),
      attempts: r.attempts,
      lastStatus: r.last_status,
      lastError: r.last_error,
      createdAt: r.created_at,
      deliveredAt: r.delivered_at,
      failedAt: r.failed_at,
    }));
  }

  /** Deletes up to `limit` settled events older than `before`; answers how many. */
  async prune(before: Date, limit: number): Promise<number> {
    const rows = await this.sql.rows(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries
          WHERE created_at < $1 AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)
          LIMIT $2)
       RETURNING id`,
      [before, limit],
    );
    return rows.length;
  }
}

function toWebhook(row: WebhookRecord): LeasedWebhook {
  return {
    id: row.id,
    channelId: row.channel_id,
    targetUrl: row.target_url,
    secret: row.secret,
    events: row.events,
    queuedSeq: row.queued_seq === null ? null : Number(row.queued_seq),
    createdAt: row.created_at,
  };
}
