import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';

/** A message of the channel as pinning sees it; null when no such message is in that channel. */
export interface PinTarget {
  pinned: boolean;
  deleted: boolean;
}

/** Every statement that pins and unpins (the pinned list is read by MessagesRepository). */
@Injectable()
export class PinsRepository {
  constructor(private readonly sql: Sql) {}

  transaction<T>(fn: (tx: PinsRepository) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new PinsRepository(sql)));
  }

  /**
   * Serializes the channel's pins until the transaction ends, on every replica, so the per-channel
   * cap holds when two members pin at once. An advisory lock rather than the channel's row, which
   * every send updates.
   */
  async lockChannelPins(channelId: string): Promise<void> {
    await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('chat-pins:' || $1, 0))`, [channelId]);
  }

  async target(channelId: string, messageId: string): Promise<PinTarget | null> {
    const row = await this.sql.one<{ pinned: boolean; deleted: boolean }>(
      `SELECT pinned_at IS NOT NULL AS pinned, deleted_at IS NOT NULL AS deleted
         FROM messages WHERE id = $1 AND channel_id = $2`,
      [messageId, channelId],
    );
    return row ?? null;
  }

  /** Pinned messages of the channel (a range of messages_channel_pinned_at_idx). */
  async count(channelId: string): Promise<number> {
    const row = await this.sql.one<{ n: string }>(
      `SELECT count(*) AS n FROM messages WHERE channel_id = $1 AND pinned_at IS NOT NULL`,
      [channelId],
    );
    return Number(row?.n ?? 0);
  }

  /** Pins a live, unpinned message; false when there was nothing to do. */
  async pin(channelId: string, messageId: string, userId: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE messages SET pinned_at = clock_timestamp(), pinned_by = $3, updated_at = clock_timestamp()
        WHERE id = $1 AND channel_id = $2 AND deleted_at IS NULL AND pinned_at IS NULL RETURNING id`,
      [messageId, channelId, userId],
    );
    return rows.length > 0;
  }

  /** Unpins; false when it was not pinned. */
  async unpin(channelId: string, messageId: string): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE messages SET pinned_at = NULL, pinned_by = NULL, updated_at = clock_timestamp()
        WHERE id = $1 AND channel_id = $2 AND pinned_at IS NOT NULL RETURNING id`,
      [messageId, channelId],
    );
    return rows.length > 0;
  }
}
