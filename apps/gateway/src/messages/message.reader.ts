import { Injectable } from '@nestjs/common';
import type { Message, MessagePage } from '@chat/contracts';
import { toMessageDto } from './message.mapper';
import { MessagesRepository, type StoredMessageRow } from './messages.repository';

export interface PageQuery {
  /** Only seqs below this. */
  before?: number;
  /** Only seqs above this. */
  after?: number;
  limit: number;
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

  async byClientId(authorId: string, clientId: string): Promise<Message | null> {
    const row = await this.messages.byClientId(authorId, clientId);
    return row ? toMessage(row) : null;
  }

  /** Full-text search over `channelIds` (whose membership the caller established), newest first. */
  async search(text: string, channelIds: string[]): Promise<Message[]> {
    if (channelIds.length === 0) return [];
    return (await this.messages.search(text, channelIds)).map(toMessage);
  }
}

/** A message as read back, as the contract shows it. */
export function toMessage(row: StoredMessageRow): Message {
  return toMessageDto(row, row.files);
}
