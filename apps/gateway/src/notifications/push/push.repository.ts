import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';

/** A claimed outbox row with what sending it needs. */
export interface ClaimedPush {
  id: string;
  subscription_id: string;
  channel_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  /** The payload as claimed; a newer one may replace it while it is being sent (`version`). */
  payload: Record<string, unknown>;
  version: number;
  attempts: number;
  /** When the current payload was queued: a push not delivered within a day is given up. */
  created_at: Date;
  /**
   * The lease this claim holds (`locked_until`, as text so no precision is lost): completions
   * name it, so a replica whose lease lapsed and was taken over cannot complete the new owner's row.
   */
  lease: string;
}

/** Every statement about Web Push subscriptions and their delivery queue. */
@Injectable()
export class PushRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Saves a browser's subscription for `userId` (by endpoint: a browser that signs in as someone
   * else moves its endpoint to them, and the previous user's queued pushes to it are dropped),
   * then keeps only the user's `cap` most recent subscriptions.
   */
  async subscribe(
    userId: string,
    endpoint: string,
    p256dh: string,
    auth: string,
    cap: number,
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.rows(
        `DELETE FROM push_outbox o USING push_subscriptions s
          WHERE o.subscription_id = s.id AND s.endpoint = $1 AND s.user_id <> $2`,
        [endpoint, userId],
      );
      await tx.rows(
        `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (endpoint) DO UPDATE
           SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = now()`,
        [userId, endpoint, p256dh, auth],
      );
      await tx.rows(
        `DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
           SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2)`,
        [userId, cap],
      );
    });
  }

  /** Removes `userId`'s subscription at `endpoint` (someone else's is left alone); its queue goes with it. */
  async unsubscribe(userId: string, endpoint: string): Promise<void> {
    await this.sql.rows(`DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`, [
      userId,
      endpoint,
    ]);
  }

  /**
   * Queues `payload` for every subscription of `userIds`, one row per subscription and channel: a
   * pending row is replaced in place (newer payload, version + 1, attempts and error cleared, due
   * now unless a send of it is under way, and a fresh day before it is given up), so a burst
   * collapses into the newest notification.
   */
  async enqueue(userIds: string[], channelId: string, payload: object): Promise<number> {
    const rows = await this.sql.rows<{ id: string }>(
      `INSERT INTO push_outbox (subscription_id, channel_id, payload)
       SELECT s.id, $2, $3::jsonb FROM push_subscriptions s WHERE s.user_id = ANY($1::uuid[])
       ON CONFLICT (subscription_id, channel_id) DO UPDATE
         SET payload = EXCLUDED.payload,
             version = push_outbox.version + 1,
             attempts = 0,
             last_error = NULL,
             created_at = now(),
             next_attempt_at = CASE WHEN push_outbox.locked_until > now()
                                    THEN push_outbox.next_attempt_at ELSE now() END
       RETURNING id`,
      [userIds, channelId, JSON.stringify(payload)],
    );
    return rows.length;
  }

  /**
   * Claims up to `limit` due rows for `leaseMs`. A claimed row is due again when its lease lapses
   * (next_attempt_at moves with it), which is how a replica that died mid-send hands it on; rows
   * another replica is claiming right now are skipped, not waited for.
   */
  claim(limit: number, leaseMs: number): Promise<ClaimedPush[]> {
    return this.sql.rows<ClaimedPush>(
      `WITH due AS (
         SELECT id FROM push_outbox WHERE next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE push_outbox o
          SET locked_until = now() + $2 * interval '1 millisecond',
              next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM due, push_subscriptions s
        WHERE o.id = due.id AND s.id = o.subscription_id
       RETURNING o.id, o.subscription_id, o.channel_id, s.endpoint, s.p256dh, s.auth, o.payload,
                 o.version, o.attempts, o.created_at, o.locked_until::text AS lease`,
      [limit, leaseMs],
    );
  }

  /**
   * The push service accepted the claimed payload: the row goes unless a newer payload replaced
   * it meanwhile (that one is due at once), and the subscription is marked as working.
   */
  async delivered(push: ClaimedPush): Promise<void> {
    await this.sql.rows(
      `WITH done AS (
         DELETE FROM push_outbox WHERE id = $1 AND version = $2 AND locked_until = $3::timestamptz RETURNING id),
       newer AS (
         UPDATE push_outbox SET locked_until = NULL, next_attempt_at = now()
          WHERE id = $1 AND version <> $2 AND locked_until = $3::timestamptz RETURNING id)
       UPDATE push_subscriptions SET last_success_at = now() WHERE id = $4`,
      [push.id, push.version, push.lease, push.subscription_id],
    );
  }

  /** A failed attempt: due again at `nextAttemptAt`, with the error kept for operators. */
  async retryLater(push: ClaimedPush, nextAttemptAt: Date, error: string): Promise<void> {
    await this.sql.rows(
      `UPDATE push_outbox
          SET attempts = attempts + 1, next_attempt_at = $3, locked_until = NULL, last_error = $4
        WHERE id = $1 AND locked_until = $2::timestamptz`,
      [push.id, push.lease, nextAttemptAt, error.slice(0, 500)],
    );
  }

  /** Hands a claimed row back unsent (a stopping replica): due at once for any replica. */
  async release(push: ClaimedPush): Promise<void> {
    await this.sql.rows(
      `UPDATE push_outbox SET locked_until = NULL, next_attempt_at = now()
        WHERE id = $1 AND locked_until = $2::timestamptz`,
      [push.id, push.lease],
    );
  }

  /**
   * Stops trying the claimed payload (refused for good, or undelivered for too long); a newer
   * payload that replaced it meanwhile is kept and due at once.
   */
  async giveUp(push: ClaimedPush): Promise<void> {
    await this.sql.rows(
      `WITH done AS (
         DELETE FROM push_outbox WHERE id = $1 AND version = $2 AND locked_until = $3::timestamptz RETURNING id)
       UPDATE push_outbox SET locked_until = NULL, next_attempt_at = now()
        WHERE id = $1 AND version <> $2 AND locked_until = $3::timestamptz`,
      [push.id, push.version, push.lease],
    );
  }

  /** The push service says the subscription is gone (404/410): it goes, with everything queued for it. */
  async dropSubscription(subscriptionId: string): Promise<void> {
    await this.sql.rows(`DELETE FROM push_subscriptions WHERE id = $1`, [subscriptionId]);
  }
}
