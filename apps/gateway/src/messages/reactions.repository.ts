import { Injectable } from '@nestjs/common';
import type { Reaction } from '@chat/contracts';
import { Sql } from '@chat/database';

/**
 * A message's reactions as JSON (`[{ emoji, userIds }]`, null without any): in order of first use,
 * each one's users in order of reaction. One range scan of the primary key (message_id, emoji,
 * user_id). `messageId` is an SQL expression (a column of the outer query or a parameter).
 */
export const reactionsJson = (messageId: string): string => `(
  SELECT json_agg(json_build_object('emoji', r.emoji, 'userIds', r.user_ids) ORDER BY r.first_at, r.emoji)
    FROM (SELECT emoji, array_agg(user_id ORDER BY created_at, user_id) AS user_ids, min(created_at) AS first_at
            FROM message_reactions WHERE message_id = ${messageId} GROUP BY emoji) r)`;

/** What an add did: stored, already there (a no-op), or refused because the message is full. */
export type AddOutcome = 'added' | 'present' | 'full';

/** Every statement about reactions (reads of whole messages aggregate them in MESSAGE_SELECT). */
@Injectable()
export class ReactionsRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction. */
  transaction<T>(fn: (tx: ReactionsRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new ReactionsRepository(sql)));
  }

  /**
   * Locks a live message's row until the transaction ends, so its reactions change one transaction
   * at a time on every replica (the distinct-emoji cap is counted under this lock). NO KEY UPDATE:
   * it does not block the KEY SHARE lock a foreign key check takes. Its channel, or null when the
   * message is gone or deleted.
   */
  async lockLive(messageId: string): Promise<string | null> {
    const row = await this.sql.one<{ channel_id: string }>(
      `SELECT channel_id FROM messages WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`,
      [messageId],
    );
    return row?.channel_id ?? null;
  }

  /**
   * Adds the user's reaction unless the message already carries `maxDistinct` other emoji. Run
   * after lockLive in the same transaction: each statement reads what committed before the lock.
   */
  async add(messageId: string, userId: string, emoji: string, maxDistinct: number): Promise<AddOutcome> {
    const row = await this.sql.one<{ known: boolean; distinct: string; inserted: string }>(
      `WITH existing AS (SELECT DISTINCT emoji FROM message_reactions WHERE message_id = $1),
            ins AS (
              INSERT INTO message_reactions (message_id, user_id, emoji, created_at)
              SELECT $1, $2, $3, clock_timestamp()
               WHERE EXISTS (SELECT 1 FROM existing WHERE emoji = $3) OR (SELECT count(*) FROM existing) < $4
              ON CONFLICT DO NOTHING RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM existing WHERE emoji = $3) AS known,
              (SELECT count(*) FROM existing) AS distinct,
              (SELECT count(*) FROM ins) AS inserted`,
      [messageId, userId, emoji, maxDistinct],
    );
    if (row && Number(row.inserted) > 0) return 'added';
    if (row && !row.known && Number(row.distinct) >= maxDistinct) return 'full';
    return 'present';
  }

  /** Whether the user's reaction was there (and is now gone). */
  async remove(messageId: string, userId: string, emoji: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `DELETE FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3 RETURNING 1`,
      [messageId, emoji, userId],
    );
    return rows.length > 0;
  }

  /**
   * Marks the message changed for channel:sync `changedSince`; answers the new mark in microseconds,
   * which under the row lock grows with every change: the version of the reactions pushed after it.
   */
  async touch(messageId: string): Promise<number> {
    const row = await this.sql.one<{ version: string }>(
      `UPDATE messages SET updated_at = clock_timestamp() WHERE id = $1
       RETURNING (extract(epoch FROM updated_at) * 1000000)::bigint AS version`,
      [messageId],
    );
    return Number(row?.version ?? 0);
  }

  /** The message's reactions in order of first use. */
  async of(messageId: string): Promise<Reaction[]> {
    const row = await this.sql.one<{ reactions: Reaction[] | null }>(
      `SELECT ${reactionsJson('$1')} AS reactions`,
      [messageId],
    );
    return row?.reactions ?? [];
  }
}
