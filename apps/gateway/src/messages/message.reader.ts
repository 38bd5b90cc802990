import { Injectable } from '@nestjs/common';
import type { Message, MessagePage } from '@chat/contracts';
import { toMessageDto } from './message.mapper';
import { MessagesRepository, type SearchFilters, type StoredMessageRow } from './messages.repository';

export interface PageQuery {
  /** Only seqs below this. */
  before?: number;
  /** Only seqs above this. */
  after?: number;
  limit: number;
  /** Top-level messages only (no thread replies). */
  rootsOnly?: boolean;
}

/** Reads messages as the contract shows them: author names and attachments filled in, in seq order. */
@Injectable()
export class MessageReader {
  constructor(private readonly messages: MessagesRepository) {}

  /**
   * A page in ascending seq order. With `after`: the first `limit` messages after it (catch-up,
   * paging forward). Otherwise the last `limit` before `before` (or the newest page). `hasMore`
   * says whether the same query would find more in the direction it reads.
   */
  async page(channelId: string, q: PageQuery): Promise<MessagePage> {
    const forward = q.after !== undefined;
    // One more than asked: its presence is `hasMore`.
    const rows = await this.messages.page(channelId, q, forward, q.limit + 1);
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    if (!forward) page.reverse();
    return { messages: page.map(toMessage), hasMore };
  }

  /**
   * The page of `limit` messages centred on `seq` (permalinks), ascending: half before it, the rest
   * from it on; a side with fewer leaves its room to the other. `hasMoreBefore`/`hasMoreAfter` say
   * whether older/newer messages lie outside the page; `hasMore` is either of them.
   */
  async around(channelId: string, seq: number, limit: number): Promise<MessagePage> {
    // Each side read with room for the whole page plus one, so the other side's shortfall can be
    // filled and what lies beyond detected, in two index range scans.
    const [before, after] = await Promise.all([
      this.messages.page(channelId, { before: seq }, false, limit + 1),
      this.messages.page(channelId, { after: seq - 1 }, true, limit + 1),
    ]);
    const half = Math.floor((limit - 1) / 2);
    const fromAfter = Math.min(after.length, Math.max(limit - half, limit - before.length));
    const fromBefore = Math.min(before.length, limit - fromAfter);
    const page = [...before.slice(0, fromBefore).reverse(), ...after.slice(0, fromAfter)];
    const hasMoreBefore = before.length > fromBefore;
    const hasMoreAfter = after.length > fromAfter;
    return {
      messages: page.map(toMessage),
      hasMore: hasMoreBefore || hasMoreAfter,
      hasMoreBefore,
      hasMoreAfter,
    };
  }

  /** Up to `limit` messages with seq ≤ `upToSeq` changed since `since`, oldest change first. */
  async changedSince(channelId: string, upToSeq: number, since: Date, limit: number): Promise<Message[]> {
    return (await this.messages.changedSince(channelId, upToSeq, since, limit)).map(toMessage);
  }

  /** The database's clock (what change times are stamped with). */
  now(): Promise<Date> {
    return this.messages.now();
  }

  /** The channel's pinned messages, newest pin first. */
  async pinned(channelId: string, limit: number): Promise<Message[]> {
    return (await this.messages.pinned(channelId, limit)).map(toMessage);
  }

  /** Messages with seq in (after, before), ascending (gap repair of the fan-out). */
  async range(channelId: string, after: number, before: number): Promise<Message[]> {
    return (await this.messages.range(channelId, after, before)).map(toMessage);
  }

  /**
   * For a channel the fan-out has no state about: the highest seq below `seq` committed long enough
   * ago that it was surely published already (or never will be: its replica died). Later ones may
   * still be on their way, so the fan-out waits for them.
   */
  settledFloor(channelId: string, seq: number): Promise<number> {
    return this.messages.settledFloor(channelId, seq);
  }

  async row(messageId: string): Promise<StoredMessageRow | null> {
    return (await this.messages.byId(messageId)) ?? null;
  }

  async byId(messageId: string): Promise<Message | null> {
    const row = await this.messages.byId(messageId);
    return row ? toMessage(row) : null;
  }

  /** The message with its version (see MessageRow.version), for ordered pushes. */
  async byIdVersioned(messageId: string): Promise<{ message: Message; version: number } | null> {
    const row = await this.messages.byId(messageId);
    return row ? { message: toMessage(row), version: Number(row.version ?? 0) } : null;
  }

  async byClientId(authorId: string, clientId: string): Promise<Message | null> {
    const row = await this.messages.byClientId(authorId, clientId);
    return row ? toMessage(row) : null;
  }

  /**
   * Search over `channelIds` (whose membership the caller established), newest first: full-text
   * when `text` is given, and the filters.
   */
  async search(
    text: string | undefined,
    channelIds: string[],
    filters: SearchFilters = {},
  ): Promise<Message[]> {
    if (channelIds.length === 0) return [];
    return (await this.messages.search(text, channelIds, filters)).map(toMessage);
  }
}

/** A message as read back, as the contract shows it. */
export function toMessage(row: StoredMessageRow): Message {
  return toMessageDto(row, row.files);
}
