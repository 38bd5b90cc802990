import type {
  Message,
  MessageDeletedEvent,
  MessageReactionsEvent,
  ThreadSummary,
  ThreadUpdatedEvent,
} from '@chat/contracts';
import { describeError } from '../../api/errors';
import type { RealtimePort, RestPort } from '../ports';
import * as tl from '../timeline';
import { Slice } from './slice';

/** The open thread: its root, its replies (merged by seq like a channel's history). */
export interface OpenThread {
  rootId: string;
  channelId: string;
  root: Message | null;
  replies: tl.Timeline;
  loading: boolean;
  error?: string;
}

export interface ThreadsState {
  thread: OpenThread | null;
  /** Threads the caller follows (GET /users/me/threads); null until loaded. */
  followed: ThreadSummary[] | null;
  /** Followed threads with unread replies (the server's count, for the sidebar badge). */
  unreadThreads: number;
}

export interface ThreadsContext {
  rest: RestPort;
  rt: RealtimePort;
  notify(text: string): void;
}

/**
 * The thread panel and the Threads view. Replies also enter their channel's timeline (they take
 * the channel's seq, which catch-up relies on); the channel view hides them and this slice keeps
 * the open thread's own copy, fed by its replies page and the same pushes.
 */
export class ThreadsSlice extends Slice<ThreadsState> {
  private loadingFollowed: Promise<void> | null = null;
  private followAgain = false;
  constructor(
    private readonly ctx: ThreadsContext,
    changed: () => void,
  ) {
    super({ thread: null, followed: null, unreadThreads: 0 }, changed);
  }

  private patch(change: Partial<OpenThread>): void {
    const t = this.state.thread;
    if (t) this.set({ thread: { ...t, ...change } });
  }

  async open(root: Message): Promise<void> {
    const rootId = root.threadId ?? root.id;
    if (this.state.thread?.rootId === rootId) return;
    this.set({
      thread: {
        rootId,
        channelId: root.channelId,
        root: root.threadId ? null : root,
        replies: { messages: [], hasOlder: false },
        loading: true,
      },
    });
    await this.load(rootId);
    this.markRead();
  }

  /** Every reply page, oldest first (a thread is read whole in the panel). */
  private async load(rootId: string): Promise<void> {
    try {
      let after: number | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await this.ctx.rest.replies(rootId, after);
        const t = this.state.thread;
        if (t?.rootId !== rootId) return;
        this.patch({ replies: tl.addMessages(t.replies, page.messages) });
        if (!page.hasMore || page.messages.length === 0) break;
        after = page.messages[page.messages.length - 1].seq;
      }
      this.patch({ loading: false });
    } catch (err) {
      if (this.state.thread?.rootId === rootId) this.patch({ loading: false, error: describeError(err) });
    }
  }

  close(): void {
    if (this.state.thread) this.set({ thread: null });
  }

  /**
   * The open thread is read up to its newest reply: its count clears in the Threads view at once,
   * and the server's `thread:updated` answer brings the badge's new total.
   */
  markRead(): void {
    const t = this.state.thread;
    if (!t) return;
    const rootId = t.rootId;
    const list = this.state.followed;
    const row = list?.find((x) => x.root.id === rootId);
    if (list && row && row.unreadReplies > 0) {
      this.set({
        followed: list.map((x) => (x.root.id === rootId ? { ...x, unreadReplies: 0 } : x)),
        unreadThreads: Math.max(0, this.state.unreadThreads - 1),
      });
    }
    const seq = tl.lastSeq(t.replies);
    if (seq > 0 && this.ctx.rt.connected) this.ctx.rt.readThread(rootId, seq).catch(() => undefined);
  }

  /** The followed threads; concurrent callers share one request, and one more runs after it. */
  loadFollowed(quiet = false): Promise<void> {
    if (this.loadingFollowed) {
      this.followAgain = true;
      return this.loadingFollowed;
    }
    const run = (async () => {
      try {
        const list = await this.ctx.rest.myThreads();
        this.set({ followed: list.threads, unreadThreads: list.unreadThreads });
      } catch (err) {
        if (!this.state.followed) this.set({ followed: [] });
        if (!quiet) this.ctx.notify(`Could not load your threads: ${describeError(err)}`);
      }
    })();
    this.loadingFollowed = run.finally(() => {
      this.loadingFollowed = null;
      if (this.followAgain) {
        this.followAgain = false;
        void this.loadFollowed(true);
      }
    });
    return this.loadingFollowed;
  }

  /** A message entered some channel: a reply of the open thread joins it. */
  arrived(
    messages: Message[],
    viewing: boolean,
    me: string,
    rootAuthor: (m: Message) => string | undefined,
  ): void {
    const t = this.state.thread;
    const mine = t ? messages.filter((m) => m.threadId === t.rootId) : [];
    if (t && mine.length) {
      this.patch({ replies: tl.addMessages(t.replies, mine) });
      if (viewing) this.markRead();
    }
    const list = this.state.followed;
    if (!list) return;
    // A followed thread got someone else's reply we are not reading: count it in the Threads view.
    let next = list;
    let unreadThreads = this.state.unreadThreads;
    let unknown = false;
    for (const m of messages) {
      if (!m.threadId || m.deleted) continue;
      // A thread we do not list may be one we now follow (we replied, were mentioned, or wrote
      // its root): the server decides, so ask it again. Others' threads cost nothing.
      if (
        !list.some((x) => x.root.id === m.threadId) &&
        (m.author.id === me || m.mentions?.userIds.includes(me) || rootAuthor(m) === me)
      ) {
        unknown = true;
      }
      if (m.author.id === me || (t?.rootId === m.threadId && viewing)) continue;
      next = next.map((x) => {
        if (x.root.id !== m.threadId) return x;
        if (x.unreadReplies === 0) unreadThreads++;
        return { ...x, unreadReplies: x.unreadReplies + 1, lastReplyAt: m.createdAt };
      });
    }
    if (next !== list) this.set({ followed: next, unreadThreads });
    if (unknown) void this.loadFollowed(true);
  }

  /** `thread:updated`: our read marker moved (here or in another tab). */
  readElsewhere(e: ThreadUpdatedEvent): void {
    const list = this.state.followed;
    this.set({
      unreadThreads: e.unreadThreads,
      ...(list
        ? {
            followed: list.map((x) =>
              x.root.id === e.threadId ? { ...x, unreadReplies: e.unreadReplies } : x,
            ),
          }
        : {}),
    });
  }

  /** message:updated: the root (reply count, pin, edit) or a reply. */
  updated(m: Message): void {
    const t = this.state.thread;
    if (t) {
      if (m.id === t.rootId) this.patch({ root: t.root ? tl.newer(t.root, m) : m });
      else if (m.threadId === t.rootId) this.patch({ replies: tl.applyUpdate(t.replies, m) });
    }
    const list = this.state.followed;
    if (list?.some((x) => x.root.id === m.id)) {
      this.set({ followed: list.map((x) => (x.root.id === m.id ? { ...x, root: tl.newer(x.root, m) } : x)) });
    }
  }

  deleted(e: MessageDeletedEvent): void {
    const t = this.state.thread;
    if (!t) return;
    if (e.id === t.rootId && t.root)
      this.patch({ root: { ...t.root, deleted: true, body: '', attachments: [] } });
    else this.patch({ replies: tl.applyDeletion(t.replies, e) });
  }

  reacted(e: MessageReactionsEvent): void {
    const t = this.state.thread;
    if (!t) return;
    if (e.messageId === t.rootId && t.root) this.patch({ root: { ...t.root, reactions: e.reactions } });
    else {
      const replies = tl.applyReactions(t.replies, e);
      if (replies !== t.replies) this.patch({ replies });
    }
  }

  /** The root, when the thread was opened from a reply (a search result, a permalink). */
  rootFound(m: Message): void {
    const t = this.state.thread;
    if (t && !t.root && m.id === t.rootId) this.patch({ root: m });
  }

  forget(channelId: string): void {
    if (this.state.thread?.channelId === channelId) this.close();
  }
}
