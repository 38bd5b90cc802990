import type {
  Channel,
  ChannelLeftEvent,
  FileInfo,
  Member,
  MemberEvent,
  Message,
  MessageDeletedEvent,
  PresenceEvent,
  TypingEvent,
  User,
} from '@chat/contracts';
import { LIMITS } from '@chat/contracts';
import { ApiError, describeError } from '../api/errors';
import * as outbox from './outbox';
import type { Outbox } from './outbox';
import type { ChatEvents, ConnectionState, RealtimePort, RestPort } from './ports';
import * as tl from './timeline';
import type { Timeline } from './timeline';
import { applyTyping, clearTypist, pruneTyping, TypingSender, type TypingState } from './typing';
import * as unread from './unread';

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

export interface ChatState {
  me: User;
  connection: ConnectionState;
  channels: Channel[];
  channelsLoaded: boolean;
  activeId: string | null;
  timelines: Record<string, Timeline>;
  /** History being fetched for a channel: its newest page, or an older one. */
  loading: Record<string, 'latest' | 'older' | undefined>;
  historyError: Record<string, string | undefined>;
  outbox: Outbox;
  members: Record<string, Member[] | undefined>;
  /** Live presence from `presence` events, over the `online` flag of member lists. */
  presence: Record<string, boolean>;
  typing: TypingState;
  toasts: Toast[];
}

export interface OutboxStorage {
  load(): Outbox;
  save(box: Outbox): void;
}

export interface StoreDeps {
  me: User;
  rest: RestPort;
  rt: RealtimePort;
  now?: () => number;
  /** Whether the page is visible (a hidden tab does not read messages). */
  isVisible?: () => boolean;
  outboxStorage?: OutboxStorage;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const PAGE = LIMITS.pageLimitDefault;
const SYNC_PAGE = LIMITS.pageLimitMax;
/** Refusals that will not change by sending again: the user decides (edit, retry, discard). */
const FINAL_REFUSALS = new Set([
  'VALIDATION',
  'FORBIDDEN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'CONFLICT',
]);

export const isStaff = (u: User) => u.roles.includes('admin') || u.roles.includes('moderator');

/**
 * The client's state and the rules that keep it right: one source for the UI (subscribe /
 * getState, as React's useSyncExternalStore expects), fed by REST answers, socket pushes and
 * the user's commands. Plain TypeScript: no DOM, no React, so it runs under unit tests with fakes.
 */
export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly isVisible: () => boolean;
  private readonly readMarkers = new unread.ReadMarkers();
  private readonly catchingUp = new Map<string, Promise<void>>();
  private readonly catchUpAgain = new Set<string>();
  private readonly leaving = new Set<string>();
  /** Channels whose held history may miss edits and deletions made while we were disconnected. */
  private readonly stale = new Set<string>();
  private flushing: Promise<void> | null = null;
  private readTimer: unknown = null;
  private retryTimer: unknown = null;
  private toastSeq = 0;
  private channelsReload: Promise<void> | null = null;
  readonly typingSender: TypingSender;

  constructor(private readonly deps: StoreDeps) {
    this.now = deps.now ?? Date.now;
    this.isVisible = deps.isVisible ?? (() => true);
    this.state = {
      me: deps.me,
      connection: 'connecting',
      channels: [],
      channelsLoaded: false,
      activeId: null,
      timelines: {},
      loading: {},
      historyError: {},
      outbox: deps.outboxStorage?.load() ?? [],
      members: {},
      presence: {},
      typing: {},
      toasts: [],
    };
    this.typingSender = new TypingSender((channelId, typing) => deps.rt.typing(channelId, typing), this.now);
  }

  // --- store plumbing ---

  getState = (): ChatState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<ChatState>): void {
    const prevOutbox = this.state.outbox;
    this.state = { ...this.state, ...patch };
    if (patch.outbox && patch.outbox !== prevOutbox) this.deps.outboxStorage?.save(patch.outbox);
    for (const l of [...this.listeners]) l();
  }

  private channel(id: string): Channel | undefined {
    return this.state.channels.find((c) => c.id === id);
  }

  private setChannel(c: Channel): void {
    const exists = this.state.channels.some((x) => x.id === c.id);
    this.set({
      channels: exists
        ? this.state.channels.map((x) => (x.id === c.id ? c : x))
        : [...this.state.channels, c],
    });
  }

  private setTimeline(channelId: string, t: Timeline): void {
    if (this.state.timelines[channelId] === t) return;
    this.set({ timelines: { ...this.state.timelines, [channelId]: t } });
  }

  private viewing(channelId: string): boolean {
    return this.state.activeId === channelId && this.isVisible();
  }

  /** The caller's account changed (roles refreshed from /auth/me). */
  setMe(me: User): void {
    if (me.id === this.state.me.id) this.set({ me });
  }

  notify(text: string, kind: Toast['kind'] = 'error'): void {
    const toast = { id: ++this.toastSeq, text, kind };
    this.set({ toasts: [...this.state.toasts.filter((t) => t.text !== text), toast].slice(-4) });
  }

  dismissToast(id: number): void {
    this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }

  // --- loading ---

  /** The channel list (and with it the server's unread counts). */
  loadChannels(): Promise<void> {
    if (!this.channelsReload) {
      const before = new Set(this.state.channels.map((c) => c.id));
      this.channelsReload = this.deps.rest
        .channels()
        .then((answer) => {
          // Joins and leaves that happened while the list was on its way are newer than it.
          const now = new Map(this.state.channels.map((c) => [c.id, c]));
          const listed = new Set(answer.map((c) => c.id));
          const list = [
            ...answer.filter((c) => now.has(c.id) || !before.has(c.id)),
            ...[...now.values()].filter((c) => !before.has(c.id) && !listed.has(c.id)),
          ];
          const timelines = this.state.timelines;
          const channels = list.map((c) => {
            // Our timeline may already be ahead of the list (a push raced the request).
            const t = timelines[c.id];
            const last = t ? Math.max(c.lastSeq, tl.lastSeq(t)) : c.lastSeq;
            return this.viewing(c.id) ? { ...c, lastSeq: last, unreadCount: 0 } : { ...c, lastSeq: last };
          });
          const known = new Set(channels.map((c) => c.id));
          const activeGone = this.state.activeId && !known.has(this.state.activeId);
          this.set({ channels, channelsLoaded: true, ...(activeGone ? { activeId: null } : {}) });
          if (this.state.activeId) this.scheduleRead(this.state.activeId);
          void this.loadDmPartners();
        })
        .catch((err: unknown) => {
          if (!this.state.channelsLoaded) this.notify(`Could not load your channels: ${describeError(err)}`);
        })
        .finally(() => {
          this.channelsReload = null;
        });
    }
    return this.channelsReload;
  }

  /** DM partners' presence for the sidebar dots: one small member list per DM, loaded once. */
  private async loadDmPartners(): Promise<void> {
    for (const c of this.state.channels) {
      if (c.kind !== 'dm' || this.state.members[c.id]) continue;
      await this.loadMembers(c.id).catch(() => undefined);
    }
  }

  async select(channelId: string | null): Promise<void> {
    if (this.state.activeId === channelId) return;
    this.typingSender.stop();
    this.set({ activeId: channelId });
    if (!channelId) return;
    await Promise.all([
      this.stale.has(channelId) ? this.refreshLatest(channelId) : this.ensureHistory(channelId),
      this.loadMembers(channelId).catch(() => undefined),
    ]);
    this.scheduleRead(channelId);
  }

  /** The newest page of a channel, once; later changes arrive live or through catch-up. */
  async ensureHistory(channelId: string): Promise<void> {
    if (this.state.timelines[channelId] || this.state.loading[channelId]) return;
    this.set({
      loading: { ...this.state.loading, [channelId]: 'latest' },
      historyError: { ...this.state.historyError, [channelId]: undefined },
    });
    try {
      const page = await this.deps.rest.history(channelId, { limit: PAGE });
      // Pushes that arrived while the page was on its way are merged in, not lost.
      const t = tl.fromLatestPage(page.messages, page.hasMore);
      // (Read again: the guard above narrowed the type, but a push may have set it meanwhile.)
      const live = this.state.timelines[channelId] as Timeline | undefined;
      this.setTimeline(channelId, live ? tl.addMessages(t, live.messages) : t);
      this.afterMessages(channelId, page.messages);
      if (tl.hasGap(this.state.timelines[channelId])) void this.catchUp(channelId);
    } catch (err) {
      this.set({ historyError: { ...this.state.historyError, [channelId]: describeError(err) } });
      if (err instanceof ApiError && err.code === 'NOT_FOUND') void this.verifyMembership(channelId);
    } finally {
      this.set({ loading: { ...this.state.loading, [channelId]: undefined } });
    }
  }

  /** One page older than the oldest message held (scrolling up). */
  async loadOlder(channelId: string): Promise<void> {
    const t = this.state.timelines[channelId];
    if (!t || !t.hasOlder || this.state.loading[channelId]) return;
    const before = tl.firstSeq(t);
    if (before === null || before <= 1) {
      this.setTimeline(channelId, { ...t, hasOlder: false });
      return;
    }
    this.set({ loading: { ...this.state.loading, [channelId]: 'older' } });
    try {
      const page = await this.deps.rest.history(channelId, { before, limit: PAGE });
      const cur = this.state.timelines[channelId] ?? t;
      this.setTimeline(
        channelId,
        tl.addOlderPage(cur, page.messages, page.hasMore && page.messages.length > 0),
      );
    } catch (err) {
      this.notify(`Could not load older messages: ${describeError(err)}`);
    } finally {
      this.set({ loading: { ...this.state.loading, [channelId]: undefined } });
    }
  }

  async loadMembers(channelId: string): Promise<Member[]> {
    const list = await this.deps.rest.members(channelId);
    const presence = { ...this.state.presence };
    for (const m of list) presence[m.userId] = m.online;
    this.set({ members: { ...this.state.members, [channelId]: list }, presence });
    return list;
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
      try {
        for (let guard = 0; guard < 1000; guard++) {
          const t = this.state.timelines[channelId];
          if (!t || !this.deps.rt.connected) return;
          const after = t.messages.length ? tl.contiguousEnd(t) : 0;
          const page = await this.deps.rt.sync(channelId, after, SYNC_PAGE);
          const cur = this.state.timelines[channelId];
          if (!cur) return;
          this.setTimeline(channelId, tl.addMessages(cur, page.messages));
          this.afterMessages(channelId, page.messages);
          // An empty page ends it too, so a confused server cannot keep us looping.
          if (!page.hasMore || page.messages.length === 0) return;
        }
      } catch (err) {
        if (err instanceof ApiError && err.code === 'NOT_FOUND') void this.verifyMembership(channelId);
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

  /** Bookkeeping after messages entered a timeline: channel counters, outbox, typing. */
  private afterMessages(channelId: string, messages: Message[]): void {
    if (messages.length === 0) return;
    const me = this.state.me.id;
    const c = this.channel(channelId);
    if (c) {
      const next = unread.onIncomingMany(c, messages, { myUserId: me, viewing: this.viewing(channelId) });
      if (next !== c) this.setChannel(next);
    }
    const box = outbox.reconcile(this.state.outbox, messages, me);
    if (box !== this.state.outbox) this.set({ outbox: box });
    let typing = this.state.typing;
    for (const m of messages) typing = clearTypist(typing, channelId, m.author.id);
    if (typing !== this.state.typing) this.set({ typing });
    if (this.viewing(channelId)) this.scheduleRead(channelId);
  }

  // --- socket events ---

  /** Handlers for every server push, typed by the contract's event map. */
  readonly events: ChatEvents = {
    'message:new': (m) => this.onMessage(m),
    'message:updated': (m) => {
      const t = this.state.timelines[m.channelId];
      if (t) this.setTimeline(m.channelId, tl.applyUpdate(t, m));
    },
    'message:deleted': (e: MessageDeletedEvent) => {
      const t = this.state.timelines[e.channelId];
      if (t) this.setTimeline(e.channelId, tl.applyDeletion(t, e));
    },
    typing: (e: TypingEvent) => {
      if (e.userId === this.state.me.id) return;
      this.set({ typing: applyTyping(this.state.typing, e, this.now()) });
    },
    presence: (e: PresenceEvent) => {
      if (this.state.presence[e.userId] === e.online) return;
      this.set({ presence: { ...this.state.presence, [e.userId]: e.online } });
    },
    'channel:joined': (c: Channel) => {
      const cur = this.channel(c.id);
      this.setChannel(
        cur ? { ...c, lastSeq: Math.max(c.lastSeq, cur.lastSeq), unreadCount: cur.unreadCount } : c,
      );
      if (c.kind === 'dm' && !this.state.members[c.id]) void this.loadMembers(c.id).catch(() => undefined);
    },
    'channel:left': (e: ChannelLeftEvent) => {
      const c = this.channel(e.channelId);
      if (c && !this.leaving.has(e.channelId)) {
        this.notify(`You are no longer a member of ${c.kind === 'dm' ? c.name : `#${c.name}`}.`, 'info');
      }
      this.forgetChannel(e.channelId);
    },
    'channel:updated': (c: Channel) => {
      const cur = this.channel(c.id);
      if (!cur) return;
      // The pushed copy's per-caller counters are not ours: keep our own.
      this.setChannel({ ...cur, name: c.name, topic: c.topic, memberCount: c.memberCount });
    },
    'member:joined': (e: MemberEvent) => this.onMembership(e, true),
    'member:left': (e: MemberEvent) => this.onMembership(e, false),
  };

  private onMessage(m: Message): void {
    const c = this.channel(m.channelId);
    if (!c) {
      // A channel we were just added to, whose channel:joined we have not seen: reload the list.
      void this.loadChannels();
      return;
    }
    let t = this.state.timelines[m.channelId];
    // The first page is on its way: hold the push so the page's arrival merges it in.
    if (!t && this.state.loading[m.channelId] === 'latest') t = { messages: [], hasOlder: true };
    if (t) {
      const inOrder = tl.isInOrder(t, m.seq, c.lastSeq);
      this.setTimeline(m.channelId, tl.addMessages(t, [m]));
      if (!inOrder) void this.catchUp(m.channelId);
    }
    this.afterMessages(m.channelId, [m]);
  }

  private onMembership(e: MemberEvent, joined: boolean): void {
    const c = this.channel(e.channelId);
    if (c) {
      const have = this.state.members[e.channelId];
      const already = have?.some((m) => m.userId === e.userId);
      if (!have || already !== joined) {
        this.setChannel({ ...c, memberCount: Math.max(0, c.memberCount + (joined ? 1 : -1)) });
      }
    }
    const list = this.state.members[e.channelId];
    if (!list) return;
    const next = joined
      ? list.some((m) => m.userId === e.userId)
        ? list
        : [
            ...list,
            {
              userId: e.userId,
              username: e.username,
              role: 'member' as const,
              online: this.state.presence[e.userId] ?? false,
              joinedAt: new Date(this.now()).toISOString(),
            },
          ]
      : list.filter((m) => m.userId !== e.userId);
    if (next !== list) this.set({ members: { ...this.state.members, [e.channelId]: next } });
    // The push says who, not their role or whether they are online: ask for the full list.
    if (joined) void this.loadMembers(e.channelId).catch(() => undefined);
  }

  setConnection(connection: ConnectionState): void {
    if (connection !== this.state.connection) this.set({ connection });
    if (connection !== 'live') this.typingSender.stop();
  }

  /**
   * After every (re)connection: fresh channel list and counters, catch-up of every channel we
   * hold history for (from its last seq, so nothing is missed and nothing doubled), then the
   * messages written while offline.
   */
  async onConnected(): Promise<void> {
    await this.loadChannels();
    const active = this.state.activeId;
    const ids = Object.keys(this.state.timelines);
    // The open channel first: that is what the user is looking at.
    ids.sort((a, b) => (a === active ? -1 : b === active ? 1 : 0));
    for (const id of ids) await this.catchUp(id);
    // channel:sync brings what is new, not edits and deletions of messages we already held:
    // re-read the newest page of the open channel now, and of the others when next opened.
    for (const id of ids) if (id !== active) this.stale.add(id);
    if (active) void this.refreshLatest(active);
    if (active && this.state.members[active]) void this.loadMembers(active).catch(() => undefined);
    await this.flush();
  }

  /** Merges a fresh newest page (edits and deletions win over older copies, see timeline.newer). */
  private async refreshLatest(channelId: string): Promise<void> {
    this.stale.delete(channelId);
    try {
      const page = await this.deps.rest.history(channelId, { limit: PAGE });
      const t = this.state.timelines[channelId];
      if (t) this.setTimeline(channelId, tl.addMessages(t, page.messages));
    } catch {
      this.stale.add(channelId);
    }
  }

  /**
   * A channel answered NOT_FOUND: the channel list decides whether we really lost it (removed,
   * deleted) — it then disappears — or the answer was a passing one.
   */
  private async verifyMembership(channelId: string): Promise<void> {
    const c = this.channel(channelId);
    await this.loadChannels();
    if (c && !this.channel(channelId)) {
      this.notify(`${c.kind === 'dm' ? c.name : `#${c.name}`} is no longer available to you.`, 'info');
    }
  }

  private forgetChannel(channelId: string): void {
    const { [channelId]: _t, ...timelines } = this.state.timelines;
    const { [channelId]: _m, ...members } = this.state.members;
    this.readMarkers.forget(channelId);
    this.set({
      channels: this.state.channels.filter((c) => c.id !== channelId),
      timelines,
      members,
      outbox: this.state.outbox.filter((p) => p.channelId !== channelId),
      activeId: this.state.activeId === channelId ? null : this.state.activeId,
    });
  }

  // --- typing ---

  pruneTyping(): void {
    const typing = pruneTyping(this.state.typing, this.now());
    if (typing !== this.state.typing) this.set({ typing });
  }

  // --- reading ---

  /** The page became visible again (or the window got focus): read what is on screen. */
  onVisible(): void {
    if (this.state.activeId) this.scheduleRead(this.state.activeId);
  }

  private scheduleRead(channelId: string): void {
    if (!this.viewing(channelId)) return;
    const c = this.channel(channelId);
    if (c && c.unreadCount) this.setChannel(unread.markRead(c));
    if (this.readTimer !== null) return;
    const fire = () => {
      this.readTimer = null;
      const id = this.state.activeId;
      if (id && this.viewing(id)) void this.sendRead(id);
    };
    this.readTimer = this.deps.setTimer ? this.deps.setTimer(fire, 400) : (fire(), null);
  }

  private async sendRead(channelId: string): Promise<void> {
    const c = this.channel(channelId);
    const t = this.state.timelines[channelId];
    const seq = Math.max(c?.lastSeq ?? 0, t ? tl.lastSeq(t) : 0);
    const next = this.readMarkers.next(channelId, seq);
    if (next === null || !this.deps.rt.connected) return;
    try {
      await this.deps.rt.read(channelId, next);
      this.readMarkers.sentUpTo(channelId, next);
    } catch {
      // The next view or reconnect sends it again.
    }
  }

  // --- sending ---

  /** Queues a message and sends it when the socket is up; shown as pending until confirmed. */
  send(channelId: string, body: string, attachments: FileInfo[] = []): void {
    const text = body.trim() || attachments.map((a) => a.name).join(', ');
    if (!text) return;
    this.typingSender.stop();
    const box = outbox.enqueue(this.state.outbox, {
      clientId: outbox.newClientId(),
      channelId,
      body: text.slice(0, LIMITS.messageBodyMax),
      attachments,
      createdAt: new Date(this.now()).toISOString(),
    });
    this.set({ outbox: box });
    void this.flush();
  }

  retry(clientId: string): void {
    this.set({ outbox: outbox.markQueued(this.state.outbox, clientId) });
    void this.flush();
  }

  discard(clientId: string): void {
    this.set({ outbox: outbox.remove(this.state.outbox, clientId) });
  }

  /** Sends queued messages one at a time, in the order they were written. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const run = (async () => {
      for (;;) {
        const next = outbox.toSend(this.state.outbox)[0];
        if (!next || !this.deps.rt.connected) return;
        this.set({ outbox: outbox.markSending(this.state.outbox, next.clientId) });
        try {
          const m = await this.deps.rt.send({
            channelId: next.channelId,
            body: next.body,
            clientId: next.clientId,
            ...(next.attachments.length ? { attachmentIds: next.attachments.map((a) => a.id) } : {}),
          });
          const t = this.state.timelines[m.channelId];
          if (t) this.setTimeline(m.channelId, tl.addMessages(t, [m]));
          this.afterMessages(m.channelId, [m]);
          this.set({ outbox: outbox.remove(this.state.outbox, next.clientId) });
        } catch (err) {
          if (err instanceof ApiError && FINAL_REFUSALS.has(err.code)) {
            this.set({ outbox: outbox.markFailed(this.state.outbox, next.clientId, describeError(err)) });
            continue;
          }
          // Offline, timeout, rate limited: keep it queued and try again a little later.
          this.set({ outbox: outbox.markQueued(this.state.outbox, next.clientId) });
          this.retryFlushLater(err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 3_000);
          return;
        }
      }
    })();
    // Cleared after the assignment: a run that ends without awaiting must not leave a stale promise.
    this.flushing = run.finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private retryFlushLater(ms: number): void {
    if (!this.deps.setTimer || this.retryTimer !== null) return;
    this.retryTimer = this.deps.setTimer(() => {
      this.retryTimer = null;
      void this.flush();
    }, ms);
  }

  async edit(message: Message, body: string): Promise<boolean> {
    const text = body.trim();
    if (!text || text === message.body) return true;
    try {
      const m = await this.deps.rt.edit(message.id, text);
      const t = this.state.timelines[m.channelId];
      if (t) this.setTimeline(m.channelId, tl.applyUpdate(t, m));
      return true;
    } catch (err) {
      this.notify(`Could not edit the message: ${describeError(err)}`);
      return false;
    }
  }

  async remove(message: Message): Promise<void> {
    try {
      await this.deps.rt.remove(message.id);
      const t = this.state.timelines[message.channelId];
      if (t) this.setTimeline(message.channelId, tl.applyDeletion(t, message));
    } catch (err) {
      this.notify(`Could not delete the message: ${describeError(err)}`);
    }
  }

  // --- channels and members ---

  /**
   * Adds a channel the caller now belongs to (created, joined or a DM) and opens it. Resolves once
   * it is open, before its history has loaded, so the dialog that asked can close at once.
   */
  adopt(c: Channel): Promise<void> {
    const cur = this.channel(c.id);
    this.setChannel(cur ? { ...c, lastSeq: Math.max(c.lastSeq, cur.lastSeq) } : c);
    void this.select(c.id);
    return Promise.resolve();
  }

  async createChannel(name: string, kind: 'public' | 'private', topic?: string): Promise<Channel> {
    const c = await this.deps.rest.createChannel(name, kind, topic);
    await this.adopt(c);
    return c;
  }

  async join(channelId: string): Promise<void> {
    const c = await this.deps.rest.join(channelId);
    await this.adopt(c);
  }

  async openDm(user: User): Promise<void> {
    const c = await this.deps.rest.openDm(user.id);
    await this.adopt(c);
  }

  async leave(channelId: string): Promise<void> {
    this.leaving.add(channelId);
    try {
      await this.deps.rest.leave(channelId);
      this.forgetChannel(channelId);
    } finally {
      this.leaving.delete(channelId);
    }
  }

  async addMember(channelId: string, user: User): Promise<void> {
    const m = await this.deps.rest.addMember(channelId, user.id);
    const list = this.state.members[channelId] ?? [];
    const known = list.some((x) => x.userId === m.userId);
    // The server's copy wins over the one a member:joined push may have added meanwhile.
    this.set({
      members: {
        ...this.state.members,
        [channelId]: known ? list.map((x) => (x.userId === m.userId ? m : x)) : [...list, m],
      },
      presence: { ...this.state.presence, [m.userId]: m.online },
    });
    const c = this.channel(channelId);
    if (c && !known) this.setChannel({ ...c, memberCount: c.memberCount + 1 });
  }

  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.deps.rest.removeMember(channelId, userId);
    const list = this.state.members[channelId];
    if (list?.some((m) => m.userId === userId)) {
      this.set({ members: { ...this.state.members, [channelId]: list.filter((m) => m.userId !== userId) } });
      const c = this.channel(channelId);
      if (c) this.setChannel({ ...c, memberCount: Math.max(0, c.memberCount - 1) });
    }
  }

  dispose(): void {
    if (this.readTimer !== null) this.deps.clearTimer?.(this.readTimer);
    if (this.retryTimer !== null) this.deps.clearTimer?.(this.retryTimer);
    this.listeners.clear();
  }
}

// --- derived data for the UI ---

/** The caller's channel role, for what the UI offers (the server decides in the end). */
export function myChannelRole(state: ChatState, channelId: string): 'owner' | 'member' | null {
  return state.members[channelId]?.find((m) => m.userId === state.me.id)?.role ?? null;
}

export function canModerate(state: ChatState, channelId: string): boolean {
  return isStaff(state.me) || myChannelRole(state, channelId) === 'owner';
}

export function canInvite(state: ChatState, channel: Channel): boolean {
  if (channel.kind === 'dm') return false;
  return channel.kind === 'public' || canModerate(state, channel.id);
}

export function canDeleteMessage(state: ChatState, m: Message): boolean {
  return m.author.id === state.me.id || canModerate(state, m.channelId);
}

/** Online: live presence events first, then the member list's flag; ourselves while connected. */
export function isOnline(state: ChatState, userId: string, listed = false): boolean {
  if (userId === state.me.id) return state.connection === 'live';
  return state.presence[userId] ?? listed;
}

/** The other person of a DM (its member list is loaded for the sidebar). */
export function dmPartner(state: ChatState, channelId: string): Member | undefined {
  return state.members[channelId]?.find((m) => m.userId !== state.me.id);
}
