import { Injectable } from '@nestjs/common';
import { LIMITS, type Message, type MessagePage, type ThreadList } from '@chat/contracts';
import type { Principal } from '@chat/security';
import { ChannelAccess } from '../channels/channel-access';
import { SocketHub } from '../infra/socket-hub';
import { MessageAccess } from './message-access';
import { toMessage } from './message.reader';
import { MessageErrors } from './messages.errors';
import { MessagesRepository } from './messages.repository';

/** Threads one `GET /users/me/threads` page holds by default. */
const THREAD_PAGE_DEFAULT = 20;
/** The list's cursor: the last thread's newest reply time in µs since the epoch, and its root id. */
const CURSOR = /^(\d{1,19})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * Threads: where a reply goes, a thread's replies, and each follower's read state ("Threads"
 * view). Replies themselves are stored and pushed by MessagesService like any message.
 */
@Injectable()
export class ThreadsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly messageAccess: MessageAccess,
    private readonly access: ChannelAccess,
    private readonly hub: SocketHub,
  ) {}

  /**
   * The root a reply to `threadId` in `channelId` goes to: the message itself, or its root when it
   * is a reply. NOT_FOUND unless it is a message of that channel and, being a root, not deleted
   * (a reply's root is checked by the statement that stores the reply).
   */
  async rootFor(channelId: string, threadId: string): Promise<string> {
    const row = (await this.messages.byId(threadId)) ?? null;
    if (!row || row.channel_id !== channelId) throw MessageErrors.notFound();
    if (row.thread_id) return row.thread_id;
    if (row.deleted_at) throw MessageErrors.notFound();
    return row.id;
  }

  /** A page of the thread of `messageId` (its root or a reply of it), ascending; members only. */
  async replies(user: Principal, messageId: string, after: number, limit: number): Promise<MessagePage> {
    const rootId = await this.readableRoot(user, messageId);
    const rows = await this.messages.replies(rootId, after, limit + 1);
    return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
  }

  /**
   * Moves the caller's read marker of the thread forward (like channel:read: members only, capped,
   * never backwards; nothing is stored for a thread they do not follow) and tells their sockets.
   */
  async markRead(user: Principal, messageId: string, seq: number): Promise<void> {
    const rootId = await this.readableRoot(user, messageId);
    const moved = await this.messages.moveThreadMarker(user.id, rootId, seq);
    if (!moved) return;
    const root = await this.messages.byId(rootId);
    if (!root) return;
    this.hub.toUsers([user.id], 'thread:updated', {
      threadId: rootId,
      channelId: root.channel_id,
      lastReadSeq: Number(moved.last_read_seq),
      unreadReplies: moved.unread_replies,
      unreadThreads: await this.messages.unreadThreads(user.id),
    });
  }

  /** The threads the caller follows, newest reply first, with their unread replies. */
  async list(user: Principal, limit = THREAD_PAGE_DEFAULT, before?: string): Promise<ThreadList> {
    let cursor: { replyUs: string; rootId: string } | null = null;
    if (before !== undefined) {
      const parts = CURSOR.exec(before);
      if (!parts) throw MessageErrors.badThreadCursor();
      cursor = { replyUs: parts[1], rootId: parts[2] };
    }
    const [rows, unreadThreads] = await Promise.all([
      this.messages.followedThreads(user.id, cursor, limit + 1),
      this.messages.unreadThreads(user.id),
    ]);
    const page = rows.slice(0, limit);
    const roots = new Map(
      (await this.messages.byIds(page.map((r) => r.root_id))).map((r) => [r.id, toMessage(r)] as const),
    );
    const threads = page
      .filter((r) => roots.has(r.root_id))
      .map((r) => ({
        root: roots.get(r.root_id) as Message,
        unreadReplies: r.unread_replies,
        lastReplyAt: r.last_reply_at.toISOString(),
      }));
    const hasMore = rows.length > limit;
    const last = page[page.length - 1];
    return {
      threads,
      unreadThreads,
      hasMore,
      next: hasMore && last ? `${last.reply_us}_${last.root_id}` : null,
    };
  }

  /**
   * The root of the thread `messageId` belongs to (itself or its root), if the caller is a member
   * of its channel: NOT_FOUND for a message they may not know of, FORBIDDEN in a visible channel
   * they have not joined. A deleted root still has its replies.
   */
  private async readableRoot(user: Principal, messageId: string): Promise<string> {
    const { row, channel } = await this.messageAccess.visible(user, messageId);
    const refusal = this.access.refusal(user, channel, 'read');
    if (refusal) throw refusal;
    return row.thread_id ?? row.id;
  }
}

/** Replies one page holds by default (the contract's page size). */
export const REPLIES_PAGE_DEFAULT = LIMITS.pageLimitDefault;
