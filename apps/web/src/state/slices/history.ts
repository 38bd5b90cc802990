import type { Message, MessageDeletedEvent, MessageReactionsEvent } from '@chat/contracts';
import { LIMITS } from '@chat/contracts';
import { ApiError, describeError } from '../../api/errors';
import type { RealtimePort, RestPort } from '../ports';
import * as tl from '../timeline';
import type { Timeline } from '../timeline';
import { Slice } from './slice';

const PAGE = LIMITS.pageLimitDefault;
const SYNC_PAGE = LIMITS.pageLimitMax;

export interface HistoryState {
  timelines: Record<string, Timeline>;
  /** History being fetched for a channel: its newest page, or an older one. */
  loading: Record<string, 'latest' | 'older' | undefined>;
  historyError: Record<string, string | undefined>;
}

/** What the history needs from the rest of the store. */
export interface HistoryContext {
  rest: RestPort;
  rt: RealtimePort;
  /** Bookkeeping after messages entered a timeline: counters, outbox, typing, read marker. */
  arrived(channelId: string, messages: Message[]): void;
  /** The channel answered NOT_FOUND: we may have lost it. */
  notFound(channelId: string): void;
  notify(text: string): void;
  /** Messages we held changed while we were away (from `channel:sync`'s `changes`). */
  changed?(messages: Message[]): void;
}

/**
 * The messages held per channel, merged by seq from pages, pushes, syncs and acks, and the rules
 * that keep them whole: the newest page once, older pages on demand, catch-up over the socket
 * after a gap or a reconnect, a fresh newest page for edits and deletions missed meanwhile.
 */
export class HistorySlice extends Slice<HistoryState> {
  private readonly catchingUp = new Map<string, Promise<void>>();
  private readonly catchUpAgain = new Set<string>();
  /** Channels whose held history may miss edits and deletions made while we were disconnected. */
  private readonly stale = new Set<string>();
  /** Per channel, the server time of the last `channel:sync` answer (its next `changedSince`). */
  private readonly syncedAt = new Map<string, string>();

  constructor(
    private readonly ctx: HistoryContext,
    changed: () => void,
  ) {
    super({ timelines: {}, loading: {}, historyError: {} }, changed);
  }

  timeline(channelId: string): Timeline | undefined {
    return this.state.timelines[channelId];
  }

  /** The newest seq held for a channel, if its history is loaded. */
  heldSeq(channelId: string): number | undefined {
    const t = this.state.timelines[channelId];
    return t ? tl.lastSeq(t) : undefined;
  }

  /** Channels whose history we hold. */
  held(): string[] {
    return Object.keys(this.state.timelines);
  }

  private put(channelId: string, t: Timeline): void {
    if (this.state.timelines[channelId] === t) return;
    this.set({ timelines: { ...this.state.timelines, [channelId]: t } });
  }

  private setLoading(channelId: string, loading: 'latest' | 'older' | undefined): void {
    this.set({ loading: { ...this.state.loading, [channelId]: loading } });
  }

  /** A channel was opened: its newest page, or a fresh one if what we hold may be stale. */
  open(channelId: string): Promise<void> {
    return this.stale.has(channelId) ? this.refreshLatest(channelId) : this.ensure(channelId);
  }

  /** The newest page of a channel, once; later changes arrive live or through catch-up. */
  async ensure(channelId: string): Promise<void> {
    if (this.state.timelines[channelId] || this.state.loading[channelId]) return;
    this.set({
      loading: { ...this.state.loading, [channelId]: 'latest' },
      historyError: { ...this.state.historyError, [channelId]: undefined },
    });
    try {
      const page = await this.ctx.rest.history(channelId, { limit: PAGE });
      // Pushes that arrived while the page was on its way are merged in, not lost.
      const t = tl.fromLatestPage(page.messages, page.hasMore);
      // (Read again: the guard above narrowed the type, but a push may have set it meanwhile.)
      const live = this.state.timelines[channelId] as Timeline | undefined;
      this.put(channelId, live ? tl.addMessages(t, live.messages) : t);
      this.ctx.arrived(channelId, page.messages);
      // Also when there is no gap: the answer's `syncedAt` is where the next catch-up asks
      // "what changed since" from.
      void this.catchUp(channelId);
    } catch (err) {
      this.set({ historyError: { ...this.state.historyError, [channelId]: describeError(err) } });
      if (err instanceof ApiError && err.code === 'NOT_FOUND') this.ctx.notFound(channelId);
    } finally {
      this.setLoading(channelId, undefined);
    }
  }

  /** One page older than the oldest message held (scrolling up). */
  async loadOlder(channelId: string): Promise<void> {
    const t = this.state.timelines[channelId];
    if (!t || !t.hasOlder || this.state.loading[channelId]) return;
    const before = tl.firstSeq(t);
    if (before === null || before <= 1) {
      this.put(channelId, { ...t, hasOlder: false });
      return;
    }
    this.setLoading(channelId, 'older');
    try {
      const page = await this.ctx.rest.history(channelId, { before, limit: PAGE });
      const cur = this.state.timelines[channelId] ?? t;
      this.put(channelId, tl.addOlderPage(cur, page.messages, page.hasMore && page.messages.length > 0));
    } catch (err) {
      this.ctx.notify(`Could not load older messages: ${describeError(err)}`);
    } finally {
      this.setLoading(channelId, undefined);
    }
  }

  /**
   * Everything after the last seq held without a hole, page by page, through `channel:sync`.
   * One run per channel at a time; a gap found meanwhile schedules one more run.
   */
  catchUp(channelId: string): Promise<void> {
    const running = this.catchingUp.get(channelId);
    if (running) {
      this.catchUpAgain.add(channelId);
      return running;
    }
    const run = (async () => {
      // One `changedSince` for the whole loop (the protocol asks for it); the last answer's
      // `syncedAt` is the next loop's.
      const since = this.syncedAt.get(channelId);
      try {
        for (let guard = 0; guard < 1000; guard++) {
          const t = this.state.timelines[channelId];
          if (!t || !this.ctx.rt.connected) return;
          const after = t.messages.length ? tl.contiguousEnd(t) : 0;
          const page = await this.ctx.rt.sync(channelId, after, SYNC_PAGE, since);
          const cur = this.state.timelines[channelId];
          if (!cur) return;
          // What changed in what we hold (edits, deletions, reactions, pins, reply counts): applied
          // to the messages we hold only (one we do not hold would open a hole in the timeline).
          // Too many changes for one answer leave the channel stale: its newest page is re-read.
          const changes = page.changes ?? [];
          const patched = changes.reduce((x, m) => tl.applyUpdate(x, m), cur);
          this.put(channelId, tl.addMessages(patched, page.messages));
          if (changes.length) this.ctx.changed?.(changes);
          if (page.syncedAt) {
            this.syncedAt.set(channelId, page.syncedAt);
            if (since && !page.changesHasMore) this.stale.delete(channelId);
          }
          this.ctx.arrived(channelId, page.messages);
          // An empty page ends it too, so a confused server cannot keep us looping.
          if (!page.hasMore || page.messages.length === 0) return;
        }
      } catch (err) {
        if (err instanceof ApiError && err.code === 'NOT_FOUND') this.ctx.notFound(channelId);
        // Otherwise the next reconnect or gap tries again.
      }
    })();
    const tracked = run.finally(() => {
      this.catchingUp.delete(channelId);
      if (this.catchUpAgain.delete(channelId)) void this.catchUp(channelId);
    });
    this.catchingUp.set(channelId, tracked);
    return tracked;
  }

  /**
   * Edits and deletions missed while away: a server that answers `changes` brought them with the
   * catch-up; otherwise (or when there were too many) re-read the newest page when next opened.
   */
  markStale(channelId: string): void {
    this.stale.add(channelId);
  }

  /** Whether catch-up brought every change made to what we hold (see markStale). */
  isStale(channelId: string): boolean {
    return this.stale.has(channelId);
  }

  /** Merges a fresh newest page (edits and deletions win over older copies, see timeline.newer). */
  async refreshLatest(channelId: string): Promise<void> {
    this.stale.delete(channelId);
    try {
      const page = await this.ctx.rest.history(channelId, { limit: PAGE });
      const t = this.state.timelines[channelId];
      if (t) this.put(channelId, tl.addMessages(t, page.messages));
    } catch {
      this.stale.add(channelId);
    }
  }

  /** A live `message:new`; a seq that skips ahead of `lastSeq` starts a catch-up. */
  pushed(m: Message, lastSeq: number): void {
    let t = this.state.timelines[m.channelId];
    // The first page is on its way: hold the push so the page's arrival merges it in.
    if (!t && this.state.loading[m.channelId] === 'latest') t = { messages: [], hasOlder: true };
    if (!t) return;
    const inOrder = tl.isInOrder(t, m.seq, lastSeq);
    this.put(m.channelId, tl.addMessages(t, [m]));
    if (!inOrder) void this.catchUp(m.channelId);
  }

  /** A message the server confirmed to us (an ack). */
  confirmed(m: Message): void {
    const t = this.state.timelines[m.channelId];
    if (t) this.put(m.channelId, tl.addMessages(t, [m]));
  }

  updated(m: Message): void {
    const t = this.state.timelines[m.channelId];
    if (t) this.put(m.channelId, tl.applyUpdate(t, m));
  }

  deleted(e: MessageDeletedEvent): void {
    const t = this.state.timelines[e.channelId];
    if (t) this.put(e.channelId, tl.applyDeletion(t, e));
  }

  reacted(e: MessageReactionsEvent): void {
    const t = this.state.timelines[e.channelId];
    if (t) this.put(e.channelId, tl.applyReactions(t, e));
  }

  find(channelId: string, messageId: string): Message | undefined {
    return this.state.timelines[channelId]?.messages.find((m) => m.id === messageId);
  }

  /**
   * A permalink: the page around `seq` when we do not hold that message yet. It replaces what we
   * held when it does not touch it (so the timeline keeps no hole), and catch-up then brings the
   * messages after it up to the newest, as after a reconnect.
   */
  async jumpTo(channelId: string, seq: number): Promise<boolean> {
    const held = this.state.timelines[channelId];
    if (held?.messages.some((m) => m.seq === seq)) return true;
    try {
      const page = await this.ctx.rest.around(channelId, seq);
      const cur = this.state.timelines[channelId];
      const hasOlder = page.hasMoreBefore ?? (page.messages[0]?.seq ?? 1) > 1;
      const fresh = tl.fromLatestPage(page.messages, hasOlder);
      const touches =
        cur &&
        cur.messages.length > 0 &&
        tl.firstSeq(cur)! <= tl.lastSeq(fresh) + 1 &&
        tl.lastSeq(cur) >= (tl.firstSeq(fresh) ?? 0);
      this.put(channelId, touches ? tl.addMessages(cur, page.messages) : fresh);
      this.ctx.arrived(channelId, page.messages);
      void this.catchUp(channelId);
      return page.messages.some((m) => m.seq === seq);
    } catch (err) {
      this.ctx.notify(`Could not open that message: ${describeError(err)}`);
      return false;
    }
  }

  forget(channelId: string): void {
    this.syncedAt.delete(channelId);
    if (!(channelId in this.state.timelines)) return;
    const { [channelId]: _gone, ...timelines } = this.state.timelines;
    this.set({ timelines });
  }
}
