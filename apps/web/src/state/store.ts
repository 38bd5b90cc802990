import {
  isReactionEmoji,
  type Channel,
  type FileInfo,
  type MemberEvent,
  type Message,
  type MessageReactionsEvent,
  type Notification,
  type User,
} from '@chat/contracts';
import { describeError } from '../api/errors';
import { titleOf } from '../util/format';
import { NOTIFICATION_LABEL, notifies } from './attention';
import type {
  ChannelPreferences,
  ChatEvents,
  ConnectionState,
  NotifierPort,
  RealtimePort,
  RestPort,
} from './ports';
import { ChannelsSlice, type ChannelsState } from './slices/channels';
import { HistorySlice, type HistoryState } from './slices/history';
import { MembersSlice, type MembersState } from './slices/members';
import { messageText, OutboxSlice, type OutboxState, type OutboxStorage } from './slices/outbox';
import { SessionSlice, type SessionState } from './slices/session';
import { ToastsSlice, type Toast, type ToastsState } from './slices/toasts';
import { ThreadsSlice, type ThreadsState } from './slices/threads';
import { TypingSlice, type TypingSliceState } from './slices/typing';
import { applyToggle, isAdd, roomForNewEmoji } from './reactions';
import { PresenceFollower } from './presence-follow';
import type { TypingSender } from './typing';

export type { OutboxStorage, Toast };

/** Everything the UI renders: the slices' states side by side, as one immutable snapshot. */
export interface ChatState
  extends
    SessionState,
    ChannelsState,
    HistoryState,
    OutboxState,
    MembersState,
    TypingSliceState,
    ToastsState,
    ThreadsState {}

export interface StoreDeps {
  me: User;
  rest: RestPort;
  rt: RealtimePort;
  now?: () => number;
  /** Whether the page is visible (a hidden tab does not read messages). */
  isVisible?: () => boolean;
  /** System notifications while the page is hidden; without one, a hidden page shows none. */
  notifier?: NotifierPort;
  outboxStorage?: OutboxStorage;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * The client's state and the rules that keep it right, fed by REST answers, socket pushes and the
 * user's commands. Each concern owns its slice of the state and its rules (state/slices/: session,
 * channels and unread, history, outbox, members and presence, typing, toasts); this class wires
 * them together — the server's pushes, and the rules that span several concerns (what follows new
 * messages, a channel lost, a reconnection) — and composes their states into one snapshot for
 * React's useSyncExternalStore (subscribe / getState). Plain TypeScript: no DOM, no React, so it
 * runs under unit tests with fakes.
 */
export class ChatStore {
  private readonly listeners = new Set<() => void>();
  private snapshot: ChatState | null = null;
  private readonly leaving = new Set<string>();
  /** Channels whose open message list is scrolled up from the newest message. */
  private readonly scrolledUp = new Set<string>();
  private readonly session: SessionSlice;
  private readonly channels: ChannelsSlice;
  private readonly history: HistorySlice;
  private readonly outbox: OutboxSlice;
  private readonly members: MembersSlice;
  private readonly typing: TypingSlice;
  private readonly toasts: ToastsSlice;
  private readonly threads: ThreadsSlice;
  private readonly follower: PresenceFollower;
  /**
   * Per `channelId:field` of the notification preferences, the newest change not yet answered:
   * an older change's answer, or a `channel:updated` pushed meanwhile, must not undo a later click.
   */
  private readonly preferenceWrites = new Map<string, number>();
  private preferenceWriteCount = 0;

  constructor(private readonly deps: StoreDeps) {
    const now = deps.now ?? Date.now;
    const changed = () => this.changed();
    const notify = (text: string) => this.notify(text);
    this.session = new SessionSlice(deps.me, changed);
    this.toasts = new ToastsSlice(changed);
    this.threads = new ThreadsSlice({ rest: deps.rest, rt: deps.rt, notify }, changed);
    this.typing = new TypingSlice(deps.rt, now, changed);
    this.members = new MembersSlice(deps.rest, now, changed);
    this.history = new HistorySlice(
      {
        rest: deps.rest,
        rt: deps.rt,
        arrived: (channelId, messages) => this.arrived(channelId, messages),
        notFound: (channelId) => void this.verifyMembership(channelId),
        notify,
        // Replies and roots in the open thread changed too.
        changed: (messages) => {
          for (const m of messages) this.threads.updated(m);
        },
      },
      changed,
    );
    this.channels = new ChannelsSlice(
      {
        rest: deps.rest,
        rt: deps.rt,
        isVisible: deps.isVisible ?? (() => true),
        heldSeq: (channelId) => this.history.heldSeq(channelId),
        listed: () => void this.loadDmPartners(),
        notify,
        setTimer: deps.setTimer,
        clearTimer: deps.clearTimer,
      },
      changed,
    );
    this.outbox = new OutboxSlice(
      {
        rt: deps.rt,
        now,
        storage: deps.outboxStorage,
        delivered: (m) => {
          this.history.confirmed(m);
          this.arrived(m.channelId, [m]);
        },
        setTimer: deps.setTimer,
        clearTimer: deps.clearTimer,
      },
      changed,
    );
    this.follower = new PresenceFollower({
      wanted: () => this.usersOnScreen(),
      connected: () => deps.rt.connected,
      subscribe: (userIds) => deps.rt.followPresence(userIds),
      answered: (followed, online) => this.members.onPresenceList(followed, online),
      setTimer: deps.setTimer,
    });
  }

  // --- store plumbing ---

  /** The composed snapshot: the same object until some slice changes. */
  getState = (): ChatState =>
    (this.snapshot ??= {
      ...this.session.state,
      ...this.channels.state,
      ...this.history.state,
      ...this.outbox.state,
      ...this.members.state,
      ...this.typing.state,
      ...this.toasts.state,
      ...this.threads.state,
    });

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private changed(): void {
    this.snapshot = null;
    this.follower.schedule();
    for (const l of [...this.listeners]) l();
  }

  /**
   * Whose presence the UI shows: DM partners (sidebar dots), then the open channel's members; null
   * until the open channel's member list has loaded.
   */
  private usersOnScreen(): string[] | null {
    const active = this.channels.state.activeId;
    const shown = active ? this.members.list(active) : [];
    if (!shown) return null;
    const me = this.session.state.me.id;
    const ids: string[] = [];
    for (const c of this.channels.state.channels) {
      if (c.kind !== 'dm') continue;
      for (const m of this.members.list(c.id) ?? []) if (m.userId !== me) ids.push(m.userId);
    }
    for (const m of shown) if (m.userId !== me) ids.push(m.userId);
    return ids;
  }

  get typingSender(): TypingSender {
    return this.typing.sender;
  }

  /** The caller's account changed (roles refreshed from /auth/me). */
  setMe(me: User): void {
    this.session.setMe(me);
  }

  setConnection(connection: ConnectionState): void {
    this.session.setConnection(connection);
    if (connection !== 'live') this.typing.sender.stop();
  }

  notify(text: string, kind: Exclude<Toast['kind'], 'message'> = 'error'): void {
    this.toasts.notify(text, kind);
  }

  dismissToast(id: number): void {
    this.toasts.dismiss(id);
  }

  // --- loading ---

  /** The channel list (and with it the server's unread counts). */
  loadChannels(): Promise<void> {
    return this.channels.load();
  }

  /** DM partners' presence for the sidebar dots: one small member list per DM, loaded once. */
  private async loadDmPartners(): Promise<void> {
    for (const c of this.channels.state.channels) {
      if (c.kind !== 'dm' || this.members.list(c.id)) continue;
      await this.members.load(c.id).catch(() => undefined);
    }
  }

  async select(channelId: string | null): Promise<void> {
    if (this.channels.state.activeId === channelId) return;
    this.typing.sender.stop();
    if (this.threads.state.thread && this.threads.state.thread.channelId !== channelId) this.threads.close();
    this.channels.setActive(channelId);
    if (!channelId) return;
    await Promise.all([this.history.open(channelId), this.loadMembers(channelId).catch(() => undefined)]);
    this.channels.scheduleRead(channelId);
  }

  ensureHistory(channelId: string): Promise<void> {
    return this.history.ensure(channelId);
  }

  loadOlder(channelId: string): Promise<void> {
    return this.history.loadOlder(channelId);
  }

  loadMembers(channelId: string) {
    return this.members.load(channelId);
  }

  catchUp(channelId: string): Promise<void> {
    return this.history.catchUp(channelId);
  }

  /** Bookkeeping after messages entered a timeline: channel counters, outbox, typing, reading. */
  private arrived(channelId: string, messages: Message[]): void {
    if (messages.length === 0) return;
    const me = this.session.state.me.id;
    this.channels.counted(channelId, messages, me);
    this.outbox.reconcile(messages, me);
    this.typing.posted(channelId, messages);
    this.threads.arrived(messages, this.channels.viewing(channelId), me, (m) =>
      m.threadId ? this.history.find(m.channelId, m.threadId)?.author.id : undefined,
    );
    this.channels.scheduleRead(channelId);
  }

  // --- socket events ---

  /** Handlers for every server push, typed by the contract's event map. */
  readonly events: ChatEvents = {
    'message:new': (m) => this.onMessage(m),
    'message:updated': (m) => {
      this.history.updated(m);
      this.threads.updated(m);
    },
    'message:deleted': (e) => {
      this.history.deleted(e);
      this.threads.deleted(e);
    },
    'message:reactions': (e) => this.onReactions(e),
    'thread:updated': (e) => this.threads.readElsewhere(e),
    typing: (e) => {
      if (e.userId !== this.session.state.me.id) this.typing.apply(e);
    },
    presence: (e) => this.members.onPresence(e),
    'channel:joined': (c) => {
      const cur = this.channels.get(c.id);
      this.channels.put(
        cur ? { ...c, lastSeq: Math.max(c.lastSeq, cur.lastSeq), unreadCount: cur.unreadCount } : c,
      );
      if (c.kind === 'dm' && !this.members.list(c.id)) void this.loadMembers(c.id).catch(() => undefined);
    },
    'channel:left': (e) => {
      const c = this.channels.get(e.channelId);
      if (c && !this.leaving.has(e.channelId)) {
        this.notify(`You are no longer a member of ${titleOf(c)}.`, 'info');
      }
      this.forgetChannel(e.channelId);
    },
    'channel:updated': (c) => this.channelUpdated(c),
    'member:joined': (e) => this.onMembership(e, true),
    'member:left': (e) => this.onMembership(e, false),
    notification: (n) => this.onNotification(n),
  };

  /**
   * A new message concerns the person. Hidden page: a system notification. Visible: a quiet toast,
   * unless they are looking at that very place already (the channel open, at its newest message).
   */
  private onNotification(n: Notification): void {
    const c = this.channels.get(n.channelId);
    if (!c || !notifies(c, n.kind)) return;
    if (!(this.deps.isVisible ?? (() => true))()) {
      this.deps.notifier?.system(n);
      return;
    }
    if (this.channels.state.activeId === n.channelId && !this.scrolledUp.has(n.channelId)) return;
    this.toasts.message(NOTIFICATION_LABEL[n.kind], `${n.title}: ${n.body}`, n.channelId, n.seq);
  }

  /** The open message list scrolled away from (or back to) the newest message. */
  setScrolledUp(channelId: string, up: boolean): void {
    if (up) this.scrolledUp.add(channelId);
    else this.scrolledUp.delete(channelId);
  }

  private onMessage(m: Message): void {
    const c = this.channels.get(m.channelId);
    if (!c) {
      // A channel we were just added to, whose channel:joined we have not seen: reload the list.
      void this.loadChannels();
      return;
    }
    this.history.pushed(m, c.lastSeq);
    this.arrived(m.channelId, [m]);
  }

  private onReactions(e: MessageReactionsEvent): void {
    this.history.reacted(e);
    this.threads.reacted(e);
  }

  /** A channel's shared fields changed (pushed, or the answer to our own edit). */
  channelUpdated(c: Channel): void {
    const cur = this.channels.get(c.id);
    if (!cur) return;
    // The pushed copy's counters are not ours to take (ours count live); its notify level and
    // mute are the caller's own, changed here or in another tab.
    this.channels.put({
      ...cur,
      name: c.name,
      topic: c.topic,
      memberCount: c.memberCount,
      archivedAt: c.archivedAt,
      notify: this.preferenceWrites.has(preferenceKey(c.id, 'notify'))
        ? cur.notify
        : (c.notify ?? cur.notify),
      muted: this.preferenceWrites.has(preferenceKey(c.id, 'muted')) ? cur.muted : (c.muted ?? cur.muted),
    });
  }

  /**
   * Changes the caller's notify level or mute for a channel: shown at once, settled by the
   * server's answer, put back (with a notice) if refused.
   */
  async setPreferences(channelId: string, prefs: ChannelPreferences): Promise<boolean> {
    const before = this.channels.get(channelId);
    if (!before) return false;
    const write = ++this.preferenceWriteCount;
    const fields = (['notify', 'muted'] as const).filter((f) => prefs[f] !== undefined);
    for (const f of fields) this.preferenceWrites.set(preferenceKey(channelId, f), write);
    // Only the fields this change is still the newest for: a quick second click stays.
    const apply = (p: ChannelPreferences) => {
      const cur = this.channels.get(channelId);
      const mine = fields.filter((f) => this.preferenceWrites.get(preferenceKey(channelId, f)) === write);
      if (cur && mine.length > 0)
        this.channels.put({ ...cur, ...Object.fromEntries(mine.map((f) => [f, p[f]])) });
    };
    apply(prefs);
    try {
      const c = await this.deps.rest.setPreferences(channelId, prefs);
      apply({ notify: c.notify, muted: c.muted });
      return true;
    } catch (err) {
      apply({ notify: before.notify, muted: before.muted });
      this.notify(`Could not change notifications for ${titleOf(before)}: ${describeError(err)}`);
      return false;
    } finally {
      for (const f of fields) {
        const key = preferenceKey(channelId, f);
        if (this.preferenceWrites.get(key) === write) this.preferenceWrites.delete(key);
      }
    }
  }

  private onMembership(e: MemberEvent, joined: boolean): void {
    const c = this.channels.get(e.channelId);
    if (c) {
      const have = this.members.list(e.channelId);
      const already = have?.some((m) => m.userId === e.userId);
      if (!have || already !== joined) {
        this.channels.put({ ...c, memberCount: Math.max(0, c.memberCount + (joined ? 1 : -1)) });
      }
    }
    this.members.onMembership(e, joined);
  }

  /**
   * After every (re)connection: fresh channel list and counters, catch-up of every channel we
   * hold history for (from its last seq, so nothing is missed and nothing doubled), then the
   * messages written while offline.
   */
  async onConnected(): Promise<void> {
    this.follower.reconnected();
    await this.loadChannels();
    const active = this.channels.state.activeId;
    const ids = this.history.held();
    // The open channel first: that is what the user is looking at.
    ids.sort((a, b) => (a === active ? -1 : b === active ? 1 : 0));
    // Edits, deletions, reactions, pins and reply counts of messages we already held come with
    // channel:sync's `changes`; where the server could not give them all, re-read the newest page
    // of the open channel now, and of the others when next opened.
    for (const id of ids) this.history.markStale(id);
    for (const id of ids) await this.history.catchUp(id);
    if (active && this.history.isStale(active)) void this.history.refreshLatest(active);
    if (this.threads.state.followed) void this.threads.loadFollowed(true);
    if (active && this.members.list(active)) void this.loadMembers(active).catch(() => undefined);
    await this.flush();
  }

  /**
   * A channel answered NOT_FOUND: the channel list decides whether we really lost it (removed,
   * deleted) — it then disappears — or the answer was a passing one.
   */
  private async verifyMembership(channelId: string): Promise<void> {
    const c = this.channels.get(channelId);
    await this.loadChannels();
    if (c && !this.channels.get(channelId)) {
      this.notify(`${titleOf(c)} is no longer available to you.`, 'info');
    }
  }

  private forgetChannel(channelId: string): void {
    this.channels.remove(channelId);
    this.history.forget(channelId);
    this.threads.forget(channelId);
    this.members.forget(channelId);
    this.outbox.forget(channelId);
  }

  // --- typing and reading ---

  pruneTyping(): void {
    this.typing.prune();
  }

  /** The page became visible again (or the window got focus): read what is on screen. */
  onVisible(): void {
    this.channels.onVisible();
  }

  // --- sending ---

  /** Queues a message and sends it when the socket is up; shown as pending until confirmed. */
  send(channelId: string, body: string, attachments: FileInfo[] = []): void {
    const text = messageText(body, attachments);
    if (!text) return;
    this.typing.sender.stop();
    this.outbox.queue(channelId, text, attachments);
  }

  /** A reply in the open thread, through the outbox like any message. */
  sendReply(body: string, attachments: FileInfo[] = []): void {
    const t = this.threads.state.thread;
    const text = messageText(body, attachments);
    if (!t || !text) return;
    this.typing.sender.stop();
    this.outbox.queue(t.channelId, text, attachments, t.rootId);
  }

  // --- threads ---

  /** Opens the thread of a root message (or of the root of a reply) in the side panel. */
  openThread(m: Message): Promise<void> {
    const rootId = m.threadId ?? m.id;
    const opening = this.threads.open(m);
    const root = this.history.find(m.channelId, rootId);
    if (root) this.threads.rootFound(root);
    return opening;
  }

  closeThread(): void {
    this.threads.close();
  }

  loadThreads(): Promise<void> {
    return this.threads.loadFollowed();
  }

  // --- reactions ---

  /**
   * Adds or removes the caller's `emoji` on a message. The chip changes at once; the server's
   * `message:reactions` push settles it, and a refusal puts the message's reactions back.
   */
  async toggleReaction(m: Message, emoji: string): Promise<void> {
    const me = this.session.state.me.id;
    const current = this.history.find(m.channelId, m.id) ?? m;
    if (!isReactionEmoji(emoji)) {
      this.notify('That is not an emoji the server accepts as a reaction.');
      return;
    }
    const add = isAdd(current.reactions, emoji, me);
    if (add && !current.reactions.some((r) => r.emoji === emoji) && !roomForNewEmoji(current.reactions)) {
      this.notify('A message can carry at most 20 different reactions.');
      return;
    }
    const before = current.reactions;
    const apply = (reactions: typeof before) =>
      this.onReactions({ messageId: m.id, channelId: m.channelId, reactions });
    apply(applyToggle(before, emoji, me, add));
    try {
      await this.deps.rt.react(m.id, emoji, add);
    } catch (err) {
      apply(before);
      this.notify(`Could not ${add ? 'add' : 'remove'} the reaction: ${describeError(err)}`);
    }
  }

  // --- permalinks ---

  /** Opens a channel at one message (`#/c/<id>/m/<seq>`); resolves whether it was found. */
  async openAt(channelId: string, seq: number): Promise<boolean> {
    if (!this.channels.get(channelId)) {
      this.notify('That message is in a conversation you are not part of.', 'info');
      return false;
    }
    await this.select(channelId);
    return this.history.jumpTo(channelId, seq);
  }

  retry(clientId: string): void {
    this.outbox.retry(clientId);
  }

  discard(clientId: string): void {
    this.outbox.discard(clientId);
  }

  /** Sends queued messages one at a time, in the order they were written. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  async edit(message: Message, body: string): Promise<boolean> {
    const text = body.trim();
    if (!text || text === message.body) return true;
    try {
      this.history.updated(await this.deps.rt.edit(message.id, text));
      return true;
    } catch (err) {
      this.notify(`Could not edit the message: ${describeError(err)}`);
      return false;
    }
  }

  async remove(message: Message): Promise<void> {
    try {
      await this.deps.rt.remove(message.id);
      this.history.deleted(message);
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
    const cur = this.channels.get(c.id);
    this.channels.put(cur ? { ...c, lastSeq: Math.max(c.lastSeq, cur.lastSeq) } : c);
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
    const known = this.members.added(channelId, m);
    const c = this.channels.get(channelId);
    if (c && !known) this.channels.put({ ...c, memberCount: c.memberCount + 1 });
  }

  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.deps.rest.removeMember(channelId, userId);
    if (!this.members.removed(channelId, userId)) return;
    const c = this.channels.get(channelId);
    if (c) this.channels.put({ ...c, memberCount: Math.max(0, c.memberCount - 1) });
  }

  dispose(): void {
    this.channels.dispose();
    this.outbox.dispose();
    this.listeners.clear();
  }
}

/** Where ChatStore keeps a channel's pending preference change, per field. */
function preferenceKey(channelId: string, field: 'notify' | 'muted'): string {
  return `${channelId}:${field}`;
}
