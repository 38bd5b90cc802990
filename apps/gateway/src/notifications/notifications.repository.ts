import { Injectable } from '@nestjs/common';
import type { ChannelKind, NotificationKind, NotifyLevel } from '@chat/contracts';
import { Sql, unseen, userBlockedSql } from '@chat/database';

/** A member a new message may notify (see CANDIDATES_SQL), with the channel it was sent to. */
export interface CandidateRow {
  user_id: string;
  notify: NotifyLevel | null;
  mentioned: boolean;
  follows: boolean;
  channel_kind: ChannelKind;
  channel_name: string;
}

/** What the message is, for choosing whom to read. */
export interface CandidateQuery {
  channelId: string;
  authorId: string;
  /** Members named with `@username`. */
  mentionedIds: readonly string[];
  /** `@channel` / `@here`. */
  everyone: boolean;
  /** The thread's root when the message is a reply. */
  threadId: string | null;
}

/**
 * The members new messages may notify, for many messages (of any channels) in one statement: the
 * notification decisions of a burst of sends cost one round trip and one plan, not one each. Per
 * message (`q`, numbered `i` from 1), it reads only who could be concerned:
 * - members who changed their level or muted the channel: memberships_notify_prefs_idx holds only
 *   them, so a 1,000-member channel where most keep the default costs a few rows, not 1,000;
 * - the members the message names (primary key probes);
 * - a reply's thread followers who are still members (thread_follows by root_id);
 * - every member only for `@channel`/`@here`, and in a DM (two members, whose default is `all`).
 * The branches are gated on the message's facts (everyone, the channel's kind, thread), so a
 * message without mentions or thread runs only the first. Muted members, members at `none` and the
 * author are dropped here; the level rules (notification-planner.ts) weigh the rest.
 *
 * Each message's branches run as a LATERAL subquery fenced with OFFSET 0, so they stay index
 * probes per message whatever the statistics say: a join the planner were free to flatten could
 * become a scan of every membership for a large batch. And it joins no other table on purpose: a
 * join to `users` (for the banned) let the planner, with stale statistics (a young table), put a
 * one-row-estimated scan of users outside the union and run the union once per user: 54 ms for 50
 * members at `all`, 800 ms for `@channel` in a 1,000-member channel. The few recipients' accounts
 * are read afterwards (`accounts`), by themselves. Exported for the spec that counts, with EXPLAIN
 * ANALYZE, the membership rows read; its parameters are `candidateParams`.
 * $1 channels, $2 authors, $3 everyone flags, $4 thread roots (null: none), one per message;
 * $5, $6 the mentions as (message number, user id) pairs.
 */
export const CANDIDATES_SQL = `
  WITH q AS MATERIALIZED (
    SELECT q.i, q.channel_id, q.author_id, q.everyone, q.thread_id, c.kind, c.name
      FROM unnest(${unseen('$1::uuid[]')}, ${unseen('$2::uuid[]')}, ${unseen('$3::boolean[]')}, ${unseen('$4::uuid[]')})
           WITH ORDINALITY
           AS q(channel_id, author_id, everyone, thread_id, i)
     CROSS JOIN LATERAL (SELECT c.kind, c.name FROM channels c WHERE c.id = q.channel_id OFFSET 0) c
  ),
  mm AS MATERIALIZED (SELECT * FROM unnest(${unseen('$5::int[]')}, ${unseen('$6::uuid[]')}) AS mm(i, user_id)),
  cand AS MATERIALIZED (
    SELECT q.i, x.user_id, x.notify, x.muted, x.follows FROM q CROSS JOIN LATERAL (
      SELECT m.user_id, m.notify, m.muted, false AS follows FROM memberships m
       WHERE m.channel_id = q.channel_id AND (m.notify IS NOT NULL OR m.muted)
      UNION ALL
      SELECT m.user_id, m.notify, m.muted, false FROM mm
        JOIN memberships m ON m.channel_id = q.channel_id AND m.user_id = mm.user_id
       WHERE mm.i = q.i
      UNION ALL
      SELECT m.user_id, m.notify, m.muted, false FROM memberships m
       WHERE m.channel_id = q.channel_id AND (q.everyone OR q.kind = 'dm')
      UNION ALL
      SELECT m.user_id, m.notify, m.muted, true FROM thread_follows f
        JOIN memberships m ON m.channel_id = q.channel_id AND m.user_id = f.user_id
       WHERE q.thread_id IS NOT NULL AND f.root_id = q.thread_id
      OFFSET 0
    ) x
  )
  SELECT c.i::int AS i, c.user_id, c.notify,
         EXISTS (SELECT 1 FROM mm WHERE mm.i = c.i AND mm.user_id = c.user_id) AS mentioned,
         bool_or(c.follows) AS follows, q.kind AS channel_kind, q.name AS channel_name
    FROM cand c JOIN q ON q.i = c.i
   WHERE c.user_id <> q.author_id AND NOT c.muted AND c.notify IS DISTINCT FROM 'none'
   GROUP BY c.i, c.user_id, c.notify, q.kind, q.name
   ORDER BY c.i`;

/** The name CANDIDATES_SQL is prepared under on each connection (see `unseen`). */
export const CANDIDATES_NAME = 'chat_notify_candidates_v1';

/** CANDIDATES_SQL's parameters for `queries`. */
export function candidateParams(queries: readonly CandidateQuery[]): unknown[] {
  const mentions = queries.flatMap((q, i) => q.mentionedIds.map((userId) => [i + 1, userId] as const));
  return [
    queries.map((q) => q.channelId),
    queries.map((q) => q.authorId),
    queries.map((q) => q.everyone),
    queries.map((q) => q.threadId),
    mentions.map(([i]) => i),
    mentions.map(([, userId]) => userId),
  ];
}

/** A recipient's account, as far as notifying them goes. */
export interface RecipientAccount {
  id: string;
  banned: boolean;
  /** A verified address that wants digest emails. */
  digest: boolean;
  /** Has a Web Push subscription: only then is their presence worth asking about. */
  push: boolean;
}

/** One notification of a message, for the digest rows. */
export interface RecordedNotification {
  channelId: string;
  messageId: string;
  seq: number;
  title: string;
  body: string;
}

/** The statements deciding and recording who a new message notifies. */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Per query, in order, the members that message may notify: empty when it concerns nobody (or
   * its channel is gone).
   */
  async candidates(queries: readonly CandidateQuery[]): Promise<CandidateRow[][]> {
    const found: CandidateRow[][] = queries.map(() => []);
    if (queries.length === 0) return found;
    const rows = await this.sql.prepared<CandidateRow & { i: number }>(
      CANDIDATES_NAME,
      CANDIDATES_SQL,
      candidateParams(queries),
    );
    for (const { i, ...row } of rows) found[i - 1].push(row);
    return found;
  }

  /**
   * The accounts of `userIds`: who is banned or deleted (notified of nothing) and who gets digest
   * emails.
   * One table, by primary key: no plan can make it cost more than a scan of `users`.
   */
  accounts(userIds: readonly string[]): Promise<RecipientAccount[]> {
    return this.sql.rows<RecipientAccount>(
      `SELECT u.id, ${userBlockedSql('u')} AS banned,
              (u.email IS NOT NULL AND u.email_verified_at IS NOT NULL AND u.email_notifications) AS digest,
              EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = u.id) AS push
         FROM users u WHERE u.id = ANY($1::uuid[])`,
      [userIds],
    );
  }

  /**
   * Records the notification of `recipients` (those `accounts` says want digests) for the away
   * digest; once per user and message, however often asked.
   */
  async recordForDigest(
    recipients: readonly { userId: string; kind: NotificationKind }[],
    n: RecordedNotification,
  ): Promise<void> {
    if (recipients.length === 0) return;
    await this.sql.rows(
      `INSERT INTO notifications (user_id, channel_id, message_id, seq, kind, title, body)
       SELECT r.user_id, $3, $4, $5, r.kind, $6, $7 FROM unnest($1::uuid[], $2::text[]) AS r(user_id, kind)
       ON CONFLICT (user_id, message_id) DO NOTHING`,
      [
        recipients.map((r) => r.userId),
        recipients.map((r) => r.kind),
        n.channelId,
        n.messageId,
        n.seq,
        n.title,
        n.body,
      ],
    );
  }
}
