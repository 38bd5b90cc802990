import { Injectable } from '@nestjs/common';
import { LIMITS, type MessageMentions } from '@chat/contracts';
import { isUniqueViolation, Sql, unseen } from '@chat/database';
import type { FileRecord } from '@chat/domain';
import type { MessageRow } from './message.mapper';
import { reactionsJson } from './reactions.repository';

/**
 * A message with its author's name and, unless deleted, its finished attachments and reactions, in
 * one round trip (one index probe on files.message_id and one range of message_reactions' primary
 * key per message). Reactions come in order of first use, each one's users in order of reaction.
 */
const MESSAGE_SELECT = `
  SELECT m.id, m.channel_id, m.seq, m.author_id, u.username AS author_username, u.bot AS author_bot,
         u.deactivated_at IS NOT NULL AS author_deactivated,
         m.body, m.client_id,
         m.created_at, m.edited_at, m.deleted_at, m.pinned_at,
         m.thread_id, m.reply_count, m.last_reply_at, m.mentions,
         (extract(epoch FROM COALESCE(m.updated_at, m.created_at)) * 1000000)::bigint AS version,
         CASE WHEN m.deleted_at IS NULL THEN ${reactionsJson('m.id')} END AS reactions,
         CASE WHEN m.deleted_at IS NULL THEN (
           SELECT json_agg(json_build_object(
                    'id', f.id, 'channelId', f.channel_id, 'name', f.name, 'size', f.size,
                    'contentType', f.content_type, 'uploadedBy', f.uploaded_by, 'createdAt', f.created_at)
                    ORDER BY f.created_at, f.id)
             FROM files f WHERE f.message_id = m.id AND f.status = 'ready') END AS files
    FROM messages m JOIN users u ON u.id = m.author_id`;

/** A MESSAGE_SELECT row: the attachments come as JSON, so their times are strings. */
interface SelectedRow extends MessageRow {
  files: (Omit<FileRecord, 'createdAt'> & { createdAt: string })[] | null;
}

/** Search filters beyond the text (all optional, combined with AND). */
export interface SearchFilters {
  authorId?: string;
  /** Sent strictly before / after these times. */
  before?: Date;
  after?: Date;
  /** Only messages with at least one finished attachment. */
  hasFile?: boolean;
  /** Only replies in this thread (its root's id). */
  threadId?: string;
}

/** has=file counts the channels' attached files up to this many (an index-only range). */
const FEW_FILES_COUNT_MAX = 20_000;

/**
 * Changes (channel:sync `changedSince`) are read from this much before the time asked: updated_at
 * is taken before its transaction commits, so a change may become visible after a later-stamped one.
 */
const CHANGES_MARGIN_SECONDS = 5;

/** A message as read back, with its attachments. */
export interface StoredMessageRow extends MessageRow {
  files: FileRecord[];
}

/** An attachment as a send checks it. */
export interface AttachmentRow extends FileRecord {
  messageId: string | null;
  status: string;
}

/** One message of a batch write, in arrival order. */
export interface BatchMessage {
  authorId: string;
  body: string;
  clientId: string | null;
  /** Reply in this root's thread (the statement checks it is a live root of the same channel). */
  threadId?: string | null;
  /** The members and channel the body mentions, resolved by the service; null for none. */
  mentions?: MessageMentions | null;
}

/** One message of a batch over many channels, in arrival order. */
export interface ChannelBatchMessage extends BatchMessage {
  channelId: string;
}

/**
 * What a batch write says of each message: see INSERT_BATCH. A member's message with an unused
 * clientId and no row: its channel was not found.
 */
export interface BatchOutcomeRow {
  member: boolean;
  used: boolean;
  /** The channel is archived (read-only): nothing was stored. */
  archived: boolean;
  id: string | null;
  seq: string | null;
  created_at: Date | null;
}

/**
 * What storing messages implies beyond their rows, as CTEs to follow a CTE `stored` RETURNING the
 * new messages' id, channel_id, seq, author_id, thread_id, mentions and created_at; in the same
 * statement, so a reply and its root's count, or a message and its mentions, never disagree:
 * - `roots`: each thread root gains its replies (reply_count += n: under concurrent replies, an
 *   UPDATE re-reads the row it waited for, so no increment is lost), last_reply_at and updated_at;
 * - `mentioned`: one message_mentions row per mentioned member, user_id NULL for @channel/@here;
 * - `followed`: a reply's author (read up to the reply), the root's author and the members either
 *   mentions follow the thread.
 */
const STORE_EFFECTS = `
  roots AS (
    UPDATE messages r SET reply_count = r.reply_count + x.n, last_reply_at = x.at, updated_at = clock_timestamp()
      FROM (SELECT thread_id, count(*) AS n, max(created_at) AS at FROM stored
             WHERE thread_id IS NOT NULL GROUP BY thread_id) x
     WHERE r.id = x.thread_id
    RETURNING r.id, r.author_id, r.mentions
  ),
  mentioned AS (
    INSERT INTO message_mentions (message_id, channel_id, seq, author_id, user_id)
    SELECT s.id, s.channel_id, s.seq, s.author_id, u.id::uuid
      FROM stored s CROSS JOIN LATERAL jsonb_array_elements_text(s.mentions -> 'userIds') AS u(id)
    UNION ALL
    SELECT s.id, s.channel_id, s.seq, s.author_id, NULL FROM stored s WHERE (s.mentions ->> 'channel')::boolean
  ),
  followed AS (
    INSERT INTO thread_follows (user_id, root_id, channel_id, last_read_seq)
    SELECT f.user_id, f.root_id, f.channel_id, max(f.read_seq) FROM (
      SELECT s.author_id AS user_id, s.thread_id AS root_id, s.channel_id, s.seq AS read_seq
        FROM stored s WHERE s.thread_id IS NOT NULL
      UNION ALL
      SELECT r.author_id, r.id, s.channel_id, 0 FROM stored s JOIN roots r ON r.id = s.thread_id
      UNION ALL
      SELECT u.id::uuid, s.thread_id, s.channel_id, 0
        FROM stored s CROSS JOIN LATERAL jsonb_array_elements_text(s.mentions -> 'userIds') AS u(id)
       WHERE s.thread_id IS NOT NULL
      UNION ALL
      SELECT u.id::uuid, r.id, s.channel_id, 0
        FROM stored s JOIN roots r ON r.id = s.thread_id
        CROSS JOIN LATERAL jsonb_array_elements_text(r.mentions -> 'userIds') AS u(id)
    ) f
    GROUP BY f.user_id, f.root_id, f.channel_id
    ON CONFLICT (user_id, root_id)
      DO UPDATE SET last_read_seq = GREATEST(thread_follows.last_read_seq, EXCLUDED.last_read_seq)
  )`;

// One element per message, in arrival order, in unnest() arrays (one more column is one more
// array): $1 channels, $2 authors, $3 bodies, $4 clientIds, $5 thread roots, $6 mentions (JSON).
// The messages may be of many channels. A reply whose root is not a live top-level message of its
// channel is not stored (answered like a missing channel: NOT_FOUND).
// Stored: the messages of members whose clientId is unused, with consecutive seqs per channel in
// arrival order, from ONE update of each channel's counter, so each row lock is held for this
// statement only, once per batch. The rows are locked first and in id order (`locked`: the
// channels sorted, each locked by a probe of its own in that order), and the inserts wait until
// every counter is updated (the one-time filter on `c`): two replicas' batches over overlapping
// channels queue on the first row they share instead of deadlocking, and no insert's index entry
// is held while waiting for a row lock. A channel gone meanwhile (its row not found) stores nothing and leaves the others
// alone; so does an archived one (`archived`, and again in `locked` after the row lock, so an
// archival committed meanwhile is honoured, answered like a channel gone). Atomic: if it fails,
// its seqs are given back (no gap). Answers one row per message, in order, saying what became of
// it.
// Every lookup is a probe per message or per channel whatever the statistics say: each EXISTS is
// fenced with OFFSET 0 (so Postgres cannot turn it into a hashed scan of the whole table), and
// `locked` is driven by the batch's channels. The statement runs on a generic plan (see `unseen`),
// made once per connection, possibly while the tables were small: without the fences, such a plan
// read every message of the database for each batch's `used` check.
/**
 * INSERT_BATCH in two shapes from one text: `full` also stores thread roots and mentions and runs
 * STORE_EFFECTS; `plain` (no message of the batch is a reply or mentions anyone: nearly every
 * batch) leaves them out, so Postgres plans and runs a statement without the reply, mention and
 * follow steps it would find empty. Both take the same six arrays.
 */
function insertBatchSql(full: boolean): string {
  const extra = (text: string) => (full ? text : '');
  return `
  WITH input AS (
    SELECT t.n, t.channel_id, t.author_id, t.body, t.client_id${extra(', t.thread_id, t.mentions::jsonb AS mentions')},
           EXISTS (SELECT 1 FROM memberships ms WHERE ms.channel_id = t.channel_id AND ms.user_id = t.author_id
                   OFFSET 0) AS member,
           EXISTS (SELECT 1 FROM channels ca WHERE ca.id = t.channel_id AND ca.archived_at IS NOT NULL OFFSET 0) AS archived,
           ${
             full
               ? `t.thread_id IS NULL OR EXISTS (
             SELECT 1 FROM messages r WHERE r.id = t.thread_id AND r.channel_id = t.channel_id
                AND r.thread_id IS NULL AND r.deleted_at IS NULL OFFSET 0)`
               : 'true'
           } AS root_ok,
           t.client_id IS NOT NULL AND EXISTS (
             SELECT 1 FROM messages m WHERE m.author_id = t.author_id AND m.client_id = t.client_id OFFSET 0) AS used
      FROM unnest(${unseen('$1::uuid[]')}, ${unseen('$2::uuid[]')}, ${unseen('$3::text[]')}, ${unseen('$4::text[]')},
                  ${unseen('$5::uuid[]')}, ${unseen('$6::text[]')})
           WITH ORDINALITY AS t(channel_id, author_id, body, client_id, thread_id, mentions, n)
  ),
  fresh AS (
    SELECT n, channel_id, author_id, body, client_id${extra(', thread_id, mentions')},
           row_number() OVER (PARTITION BY channel_id ORDER BY n) AS k,
           count(*) OVER (PARTITION BY channel_id) AS total
      FROM input WHERE member AND NOT used AND root_ok AND NOT archived
  ),
  locked AS MATERIALIZED (
    SELECT l.id FROM (SELECT DISTINCT channel_id FROM fresh ORDER BY channel_id) f
     CROSS JOIN LATERAL (SELECT id FROM channels WHERE id = f.channel_id AND archived_at IS NULL FOR UPDATE) l
  ),
  c AS (
    UPDATE channels ch SET last_seq = ch.last_seq + per.total
      FROM (SELECT DISTINCT channel_id, total FROM fresh) per JOIN locked ON locked.id = per.channel_id
     WHERE ch.id = per.channel_id
    RETURNING ch.id, ch.last_seq - per.total AS base
  ),
  stored AS (
    INSERT INTO messages (channel_id, seq, author_id, body, client_id${extra(', thread_id, mentions')})
    SELECT fresh.channel_id, c.base + fresh.k, fresh.author_id, fresh.body, fresh.client_id${extra(`,
           fresh.thread_id, fresh.mentions`)}
      FROM fresh JOIN c ON c.id = fresh.channel_id
     WHERE (SELECT count(*) FROM c) > 0
    RETURNING channel_id, seq, id, created_at${extra(', author_id, thread_id, mentions')}
  )${extra(`, ${STORE_EFFECTS}`)}
  SELECT input.member, input.used, input.archived, stored.id, stored.seq, stored.created_at
    FROM input
    LEFT JOIN fresh ON fresh.n = input.n
    LEFT JOIN c ON c.id = fresh.channel_id
    LEFT JOIN stored ON stored.channel_id = fresh.channel_id AND stored.seq = c.base + fresh.k
   ORDER BY input.n`;
}

const INSERT_BATCH = { full: insertBatchSql(true), plain: insertBatchSql(false) };

/** The names INSERT_BATCH's shapes are prepared under on each connection (DATABASE_PREPARED_STATEMENTS). */
export const INSERT_BATCH_NAME = { full: 'chat_insert_batch_v5', plain: 'chat_insert_batch_plain_v5' };

/** The unique index on (author_id, client_id). */
const CLIENT_ID_KEY = 'messages_author_client_id_key';

/** A commit older than this has been published or never will be (publishing takes milliseconds). */
const SETTLED_AFTER_SECONDS = 5;

/** A follower's unread replies: after their marker, by others, not deleted. `f` is the follow. */
const THREAD_UNREAD = `(SELECT count(*)::int FROM messages x
    WHERE x.thread_id = f.root_id AND x.seq > f.last_read_seq
      AND x.author_id <> f.user_id AND x.deleted_at IS NULL)`;

/** A followed thread as the threads list reads it. */
export interface FollowedThreadRow {
  root_id: string;
  unread_replies: number;
  last_reply_at: Date;
  /** last_reply_at in microseconds since the epoch: the page cursor, exact (a Date keeps ms). */
  reply_us: string;
}

/**
 * Every statement about messages and their attachments. Every change to a stored message stamps
 * `updated_at = clock_timestamp()` (edit, delete, reactions, pins, and a thread root's reply count)
 * so channel:sync `changedSince` finds it.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction, with its Sql for what must commit with them (audit). */
  transaction<T>(fn: (tx: MessagesRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new MessagesRepository(sql), sql));
  }

  /**
   * Up to `limit` messages of a channel with seq in (after, before), either bound optional: the first
   * ones when `forward`, else the last ones, in the order read.
   */
  async page(
    channelId: string,
    bounds: { after?: number; before?: number; rootsOnly?: boolean },
    forward: boolean,
    limit: number,
  ): Promise<StoredMessageRow[]> {
    const params: unknown[] = [channelId];
    const where = ['m.channel_id = $1'];
    // Top-level messages only: the same (channel_id, seq) range, skipping replies.
    if (bounds.rootsOnly) where.push('m.thread_id IS NULL');
    if (bounds.after !== undefined) where.push(`m.seq > $${params.push(bounds.after)}`);
    if (bounds.before !== undefined) where.push(`m.seq < $${params.push(bounds.before)}`);
    return this.select(
      `${MESSAGE_SELECT} WHERE ${where.join(' AND ')}
        ORDER BY m.seq ${forward ? 'ASC' : 'DESC'} LIMIT $${params.push(limit)}`,
      params,
    );
  }

  /** Messages with seq in (after, before), ascending. */
  range(channelId: string, after: number, before: number): Promise<StoredMessageRow[]> {
    return this.select(
      `${MESSAGE_SELECT} WHERE m.channel_id = $1 AND m.seq > $2 AND m.seq < $3 ORDER BY m.seq`,
      [channelId, after, before],
    );
  }

  /** The highest seq below `seq` committed more than SETTLED_AFTER_SECONDS ago (0 if none). */
  async settledFloor(channelId: string, seq: number): Promise<number> {
    const row = await this.sql.one<{ floor: string }>(
      `SELECT COALESCE(max(seq), 0) AS floor FROM messages
        WHERE channel_id = $1 AND seq < $2 AND created_at < now() - interval '${SETTLED_AFTER_SECONDS} seconds'`,
      [channelId, seq],
    );
    return Number(row?.floor ?? 0);
  }

  async byId(messageId: string): Promise<StoredMessageRow | undefined> {
    return (await this.select(`${MESSAGE_SELECT} WHERE m.id = $1`, [messageId]))[0];
  }

  async byClientId(authorId: string, clientId: string): Promise<StoredMessageRow | undefined> {
    return (
      await this.select(`${MESSAGE_SELECT} WHERE m.author_id = $1 AND m.client_id = $2`, [authorId, clientId])
    )[0];
  }

  /**
   * Full-text search over `channelIds`, newest first. websearch_to_tsquery never rejects user input.
   *
   * The channels are given to the search as values, not as a subquery: with values the planner
   * knows from the column statistics how many messages they hold, and walks the recency index
   * newest-first for a word that is common in them (stopping at the 50th hit) instead of fetching
   * every match through the GIN index and sorting. At 1,000,000 messages a mid-frequency word
   * took 26–41 ms the other way, 4 ms this way; rare words still take the GIN index.
   */
  async search(
    text: string | undefined,
    channelIds: string[],
    filters: SearchFilters = {},
  ): Promise<StoredMessageRow[]> {
    const params: unknown[] = [channelIds];
    const where = ['m.deleted_at IS NULL'];
    if (text !== undefined) where.push(`m.search @@ websearch_to_tsquery('simple', $${params.push(text)})`);
    if (filters.authorId) where.push(`m.author_id = $${params.push(filters.authorId)}`);
    // before=/after=: a range of the recency index (created_at DESC, seq DESC).
    if (filters.before) where.push(`m.created_at < $${params.push(filters.before)}`);
    if (filters.after) where.push(`m.created_at > $${params.push(filters.after)}`);
    // threadId=: messages_thread_seq_idx holds the thread's replies.
    if (filters.threadId) where.push(`m.thread_id = $${params.push(filters.threadId)}`);
    const order = `ORDER BY m.created_at DESC, m.seq DESC LIMIT ${LIMITS.searchResultsMax}`;
    let files = '';
    const fewFiles = filters.hasFile === true && (await this.fewFiles(channelIds));
    if (filters.hasFile) {
      where.push(`m.id IN (SELECT message_id FROM attached)`);
      // A few files among many messages: read them all (files_channel_attached_idx, index only)
      // and look their messages up; many: walk messages newest first, probing files per message.
      // At 1,000,000 messages with 1 in 100 carrying a file, the walk took 280 ms, this 20-30 ms.
      files = `WITH attached AS ${fewFiles ? 'MATERIALIZED' : 'NOT MATERIALIZED'} (
        SELECT f.message_id FROM files f
         WHERE f.channel_id = ANY($1::uuid[]) AND f.status = 'ready' AND f.message_id IS NOT NULL)`;
    }
    if (filters.authorId && text === undefined && !fewFiles) {
      // from= alone: the author's newest messages in each channel (messages_author_channel_created_at_idx),
      // merged: at most 50 rows per channel, however many messages the author wrote elsewhere.
      // Walking the author's messages newest first instead took 100-150 ms at 1,000,000 messages
      // when few of them were in the caller's channels; this takes under 1 ms.
      return this.select(
        `${files} ${MESSAGE_SELECT}
           JOIN LATERAL (SELECT m.id FROM unnest($1::uuid[]) ch(id)
             CROSS JOIN LATERAL (SELECT m.id, m.created_at, m.seq FROM messages m
                                  WHERE m.channel_id = ch.id AND ${where.join(' AND ')} ${order}) m
             ${order}) picked ON picked.id = m.id
         ${order}`,
        params,
      );
    }
    return this.select(
      `${files} ${MESSAGE_SELECT} WHERE m.channel_id = ANY($1::uuid[]) AND ${where.join(' AND ')} ${order}`,
      params,
    );
  }

  /**
   * Whether looking up every message that carries a file in these channels costs fewer rows than
   * walking their messages newest first until 50 of them carry one: n² ≤ 50 × messages, for n
   * messages with a file among `messages` (each channel's last_seq; counted up to a bound).
   */
  private async fewFiles(channelIds: string[]): Promise<boolean> {
    const row = await this.sql.one<{ files: string; messages: string }>(
      `SELECT (SELECT count(*) FROM (
                 SELECT 1 FROM files f
                  WHERE f.channel_id = ANY($1::uuid[]) AND f.status = 'ready' AND f.message_id IS NOT NULL
                  LIMIT ${FEW_FILES_COUNT_MAX}) x) AS files,
              (SELECT COALESCE(sum(last_seq), 0) FROM channels WHERE id = ANY($1::uuid[])) AS messages`,
      [channelIds],
    );
    const files = Number(row?.files ?? 0);
    return (
      files < FEW_FILES_COUNT_MAX && files * files <= LIMITS.searchResultsMax * Number(row?.messages ?? 0)
    );
  }

  /** The channel's pinned messages, newest pin first (messages_channel_pinned_at_idx). */
  pinned(channelId: string, limit: number): Promise<StoredMessageRow[]> {
    return this.select(
      `${MESSAGE_SELECT} WHERE m.channel_id = $1 AND m.pinned_at IS NOT NULL
        ORDER BY m.pinned_at DESC LIMIT $2`,
      [channelId, limit],
    );
  }

  /**
   * Up to `limit` messages with seq ≤ `upToSeq` whose updated_at is at or after `since` (less
   * CHANGES_MARGIN_SECONDS), oldest change first (messages_channel_updated_at_idx).
   */
  changedSince(channelId: string, upToSeq: number, since: Date, limit: number): Promise<StoredMessageRow[]> {
    return this.select(
      `${MESSAGE_SELECT}
        WHERE m.channel_id = $1 AND m.seq <= $2
          AND m.updated_at >= $3::timestamptz - interval '${CHANGES_MARGIN_SECONDS} seconds'
        ORDER BY m.updated_at, m.seq LIMIT $4`,
      [channelId, upToSeq, since, limit],
    );
  }

  /** The database's clock: the one updated_at is stamped with, whatever the replicas' clocks say. */
  async now(): Promise<Date> {
    const row = await this.sql.one<{ now: Date }>('SELECT clock_timestamp() AS now');
    return row?.now ?? new Date();
  }

  /** One channel's batch: see insertAcross. */
  insertBatch(channelId: string, messages: BatchMessage[]): Promise<BatchOutcomeRow[]> {
    return this.insertAcross(messages.map((m) => ({ ...m, channelId })));
  }

  /**
   * INSERT_BATCH over the messages of any channels: one row per message, in order. Prepared once
   * per connection (unless DATABASE_PREPARED_STATEMENTS is off) and, from its sixth run there, not
   * planned again (see `unseen`).
   */
  insertAcross(messages: ChannelBatchMessage[]): Promise<BatchOutcomeRow[]> {
    const values = [
      messages.map((m) => m.channelId),
      messages.map((m) => m.authorId),
      messages.map((m) => m.body),
      messages.map((m) => m.clientId),
      messages.map((m) => m.threadId ?? null),
      messages.map((m) => (m.mentions ? JSON.stringify(m.mentions) : null)),
    ];
    const shape = messages.some((m) => m.threadId || m.mentions) ? 'full' : 'plain';
    return this.sql.prepared(INSERT_BATCH_NAME[shape], INSERT_BATCH[shape], values);
  }

  /**
   * Sets a live message's body and what it mentions (see replaceMentions); false when there is
   * none (deleted meanwhile).
   */
  async editBody(messageId: string, body: string, mentions: MessageMentions | null = null): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE messages SET body = $2, mentions = $3::jsonb, edited_at = now(), updated_at = clock_timestamp()
        WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
      [messageId, body, mentions ? JSON.stringify(mentions) : null],
    );
    return rows.length > 0;
  }

  /**
   * Deletes a message, keeping its row as a tombstone so its seq is not a gap; the body is erased,
   * which also drops it from search, and unpins it. Its seq, or null when it was deleted already.
   */
  async tombstone(messageId: string): Promise<number | null> {
    const row = await this.sql.one<{ seq: string }>(
      `UPDATE messages SET deleted_at = now(), body = '', pinned_at = NULL, pinned_by = NULL,
              updated_at = clock_timestamp()
        WHERE id = $1 AND deleted_at IS NULL RETURNING seq`,
      [messageId],
    );
    return row ? Number(row.seq) : null;
  }

  /** The files `ids`, locked until the transaction ends so a concurrent send cannot attach them too. */
  lockAttachments(ids: string[]): Promise<AttachmentRow[]> {
    return this.sql.rows<AttachmentRow>(
      `SELECT id, channel_id AS "channelId", message_id AS "messageId", name, size,
              content_type AS "contentType", uploaded_by AS "uploadedBy", created_at AS "createdAt", status
         FROM files WHERE id = ANY($1::uuid[]) FOR UPDATE`,
      [ids],
    );
  }

  /**
   * The channel's next seq. The row lock taken here serializes the channel's senders on every
   * replica until the transaction ends; a rollback gives the number back, so seqs have no gaps.
   */
  async nextSeq(channelId: string): Promise<string | null> {
    const row = await this.sql.one<{ last_seq: string }>(
      'UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
      [channelId],
    );
    return row?.last_seq ?? null;
  }

  /**
   * Inserts one message; null when its author already used `clientId` (DO NOTHING waits for a
   * concurrent insert of the same clientId to commit, then skips).
   */
  insertOne(
    channelId: string,
    seq: string,
    message: BatchMessage,
  ): Promise<{ id: string; created_at: Date } | undefined> {
    return this.sql.one<{ id: string; created_at: Date }>(
      `WITH stored AS (
         INSERT INTO messages (channel_id, seq, author_id, body, client_id, thread_id, mentions)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (author_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
         RETURNING id, channel_id, seq, author_id, thread_id, mentions, created_at
       ), ${STORE_EFFECTS}
       SELECT id, created_at FROM stored`,
      [
        channelId,
        seq,
        message.authorId,
        message.body,
        message.clientId,
        message.threadId ?? null,
        message.mentions ? JSON.stringify(message.mentions) : null,
      ],
    );
  }

  /**
   * Whether `rootId` is a live top-level message of the channel, one a reply may go to. Locked
   * (FOR SHARE) until the transaction ends, so it cannot be deleted under the reply.
   */
  async isLiveRoot(rootId: string, channelId: string): Promise<boolean> {
    const row = await this.sql.one(
      `SELECT 1 FROM messages WHERE id = $1 AND channel_id = $2 AND thread_id IS NULL AND deleted_at IS NULL
         FOR SHARE`,
      [rootId, channelId],
    );
    return row !== undefined;
  }

  /**
   * The members of the channel among `names` (lower-cased usernames): who a body's @names may
   * stand for. Served by the lower(username) index and the memberships primary key.
   */
  mentionableMembers(channelId: string, names: string[]): Promise<{ id: string; username: string }[]> {
    return this.sql.rows(
      `SELECT u.id, u.username FROM users u
         JOIN memberships ms ON ms.channel_id = $1 AND ms.user_id = u.id
        WHERE lower(u.username) = ANY($2::text[])`,
      [channelId, names],
    );
  }

  /**
   * Replaces a message's mentions after an edit: its message_mentions rows (an added mention
   * counts from now on, a removed one no longer does), and a member it newly mentions in a thread
   * (a reply, or a root with replies) follows that thread. Run in the edit's transaction.
   */
  async replaceMentions(messageId: string): Promise<void> {
    await this.sql.rows(`DELETE FROM message_mentions WHERE message_id = $1`, [messageId]);
    await this.sql.rows(
      `WITH stored AS (
         SELECT id, channel_id, seq, author_id, thread_id, mentions, reply_count FROM messages
          WHERE id = $1 AND deleted_at IS NULL
       ),
       mentioned AS (
         INSERT INTO message_mentions (message_id, channel_id, seq, author_id, user_id)
         SELECT s.id, s.channel_id, s.seq, s.author_id, u.id::uuid
           FROM stored s CROSS JOIN LATERAL jsonb_array_elements_text(s.mentions -> 'userIds') AS u(id)
         UNION ALL
         SELECT s.id, s.channel_id, s.seq, s.author_id, NULL FROM stored s WHERE (s.mentions ->> 'channel')::boolean
       )
       INSERT INTO thread_follows (user_id, root_id, channel_id)
       SELECT DISTINCT u.id::uuid, COALESCE(s.thread_id, s.id), s.channel_id
         FROM stored s CROSS JOIN LATERAL jsonb_array_elements_text(s.mentions -> 'userIds') AS u(id)
        WHERE s.thread_id IS NOT NULL OR s.reply_count > 0
       ON CONFLICT DO NOTHING`,
      [messageId],
    );
  }

  /** A deleted message mentions nobody any more (run in the deletion's transaction). */
  async dropMentions(messageId: string): Promise<void> {
    await this.sql.rows(
      `WITH gone AS (DELETE FROM message_mentions WHERE message_id = $1)
       UPDATE messages SET mentions = NULL WHERE id = $1 AND mentions IS NOT NULL`,
      [messageId],
    );
  }

  /**
   * Up to `limit` replies of a thread with seq above `after`, ascending (messages_thread_seq_idx).
   * A thread's replies are all in its root's channel.
   */
  replies(rootId: string, after: number, limit: number): Promise<StoredMessageRow[]> {
    return this.select(`${MESSAGE_SELECT} WHERE m.thread_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`, [
      rootId,
      after,
      limit,
    ]);
  }

  /** These messages, in no particular order. */
  byIds(ids: string[]): Promise<StoredMessageRow[]> {
    return this.select(`${MESSAGE_SELECT} WHERE m.id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * The threads `userId` follows in channels they are still a member of, newest reply first (ties
   * by root id), after the cursor `before` (last_reply_at in µs, root id) when given. One follow
   * row per thread (the primary key's user_id prefix), each joined to its root by primary key and
   * counted with messages_thread_seq_idx.
   */
  followedThreads(
    userId: string,
    before: { replyUs: string; rootId: string } | null,
    limit: number,
  ): Promise<FollowedThreadRow[]> {
    return this.sql.rows<FollowedThreadRow>(
      `SELECT f.root_id, ${THREAD_UNREAD} AS unread_replies, r.last_reply_at,
              (extract(epoch FROM r.last_reply_at) * 1000000)::bigint::text AS reply_us
         FROM thread_follows f
         JOIN memberships ms ON ms.channel_id = f.channel_id AND ms.user_id = f.user_id
         JOIN messages r ON r.id = f.root_id
        WHERE f.user_id = $1 AND r.last_reply_at IS NOT NULL
          AND ($2::bigint IS NULL
               OR ((extract(epoch FROM r.last_reply_at) * 1000000)::bigint, r.id) < ($2::bigint, $3::uuid))
        ORDER BY r.last_reply_at DESC, r.id DESC
        LIMIT $4`,
      [userId, before?.replyUs ?? null, before?.rootId ?? null, limit],
    );
  }

  /** How many followed threads (in channels `userId` is a member of) have unread replies. */
  async unreadThreads(userId: string): Promise<number> {
    const row = await this.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM thread_follows f
         JOIN memberships ms ON ms.channel_id = f.channel_id AND ms.user_id = f.user_id
        WHERE f.user_id = $1 AND EXISTS (
          SELECT 1 FROM messages x WHERE x.thread_id = f.root_id AND x.seq > f.last_read_seq
             AND x.author_id <> f.user_id AND x.deleted_at IS NULL)`,
      [userId],
    );
    return row?.n ?? 0;
  }

  /**
   * Moves a follower's thread read marker forward to `seq`, capped at the thread's newest reply and
   * never backwards. The marker and the thread's unread replies when it moved; undefined when it
   * did not (or `userId` does not follow the thread).
   */
  moveThreadMarker(
    userId: string,
    rootId: string,
    seq: number,
  ): Promise<{ last_read_seq: string; unread_replies: number } | undefined> {
    return this.sql.one(
      `WITH newest AS (
         SELECT COALESCE(max(seq), 0) AS seq FROM messages WHERE thread_id = $2
       ),
       moved AS (
         UPDATE thread_follows f SET last_read_seq = LEAST($3::bigint, newest.seq)
           FROM newest
          WHERE f.user_id = $1 AND f.root_id = $2 AND f.last_read_seq < LEAST($3::bigint, newest.seq)
         RETURNING f.user_id, f.root_id, f.last_read_seq
       )
       SELECT f.last_read_seq, ${THREAD_UNREAD} AS unread_replies FROM moved f`,
      [userId, rootId, seq],
    );
  }

  async attach(messageId: string, fileIds: string[]): Promise<void> {
    await this.sql.rows('UPDATE files SET message_id = $1 WHERE id = ANY($2::uuid[])', [messageId, fileIds]);
  }

  private async select(text: string, params: unknown[]): Promise<StoredMessageRow[]> {
    const rows = await this.sql.rows<SelectedRow>(text, params);
    return rows.map((r) => ({
      ...r,
      files: (r.files ?? []).map((f) => ({ ...f, createdAt: new Date(f.createdAt) })),
    }));
  }
}

/** Whether `err` is the unique index on (author_id, client_id): a clientId already used. */
export function isClientIdTaken(err: unknown): boolean {
  return isUniqueViolation(err, CLIENT_ID_KEY);
}

/**
 * Whether Postgres refused a statement because of some of its rows: bad data (class 22), a broken
 * constraint (class 23), or a deadlock (40P01). Written in smaller statements, the other rows may
 * go through; a lost connection or a timeout would fail those as well.
 */
export function isRowFailure(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23') || code === '40P01');
}
