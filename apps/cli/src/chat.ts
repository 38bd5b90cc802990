import { randomUUID } from 'node:crypto';
import {
  LIMITS,
  type Channel,
  type Member,
  type Message,
  type MessageDeletedEvent,
  type PresenceEvent,
  type TypingEvent,
} from '@chat/contracts';
import { parseCommand, stripSigil, type Command } from './commands';
import { ChatError, describeError } from './errors';
import {
  channelLabel,
  channelList,
  cleanLine,
  formatMessage,
  HELP,
  shortLabel,
  typingLine,
  unreadSummary,
  type Style,
} from './format';
import type { Api } from './http';
import { Realtime } from './realtime';
import type { Screen } from './screen';
import type { Session } from './session';
import { Timeline } from './timeline';

/** Messages shown when a channel is opened. */
const HISTORY_PAGE = 20;
/** Members of the open channel whose presence we follow (the contract allows 1,000; a screen shows few). */
const PRESENCE_FOLLOW_MAX = 20;
/** Send `typing: true` this often while the user types (the server drops it after 5 s). */
const TYPING_RENEW_MS = 3_000;
/** Stop saying we type after this long without a key. */
const TYPING_IDLE_MS = 4_000;
/** Drop someone's typing indicator after this long without news (a lost `typing: false`). */
const TYPING_STALE_MS = 6_000;
/** Shown messages whose body we remember, to tell an edit from a reaction or pin on `message:updated`. */
const REMEMBERED_MAX = 500;

interface Typist {
  username: string;
  timer: NodeJS.Timeout;
}

/** The open channel. */
interface View {
  channel: Channel;
  timeline: Timeline;
  typing: Map<string, Typist>;
  members: Member[];
  /** Of the followed members, who is online. */
  online: Set<string>;
  followed: string[];
  /** seq → body and edit time of messages on screen. */
  shown: Map<number, { body: string; editedAt: string | null }>;
  readSeq: number;
  readTimer: NodeJS.Timeout | null;
}

interface Outgoing {
  channelId: string;
  body: string;
  /** Kept for every retry of this message, so the server stores it once. */
  clientId: string;
}

/**
 * The chat session in the terminal: channel list, the open channel's live timeline (history on
 * open, live messages deduplicated by seq, catch-up with `channel:sync` after a reconnect or a
 * gap), sending with a clientId, typing, presence of the open channel's members, and the commands.
 */
export class ChatClient {
  private readonly channels = new Map<string, Channel>();
  private view: View | null = null;
  private readonly realtime: Realtime;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly outbox: Outgoing[] = [];
  private myTyping: { channelId: string; sentAt: number } | null = null;
  private typingIdle: NodeJS.Timeout | null = null;
  private state: 'connecting' | 'live' | 'reconnecting' = 'connecting';
  /** "Connection lost" was shown, so the reconnection is worth a line too (a token renewal is not). */
  private lossShown = false;
  private refusalShown = false;
  /** /join or /dm commands in flight: their own `channel:joined` push needs no line of its own. */
  private joining = 0;
  private stopping = false;
  private finish: (code: number) => void = () => undefined;

  constructor(
    private readonly url: string,
    private readonly api: Api,
    private readonly session: Session,
    private readonly screen: Screen,
    private readonly style: Style,
    private readonly initialChannel?: string,
  ) {
    this.realtime = new Realtime(url, session, {
      connected: (again) => this.onConnected(again),
      disconnected: (reason) => this.onDisconnected(reason),
      refused: (message) =>
        this.notice(`The server refused the connection (${cleanLine(message, 80)}); retrying…`),
      pushes: {
        'message:new': (m) => this.onMessageNew(m),
        'message:updated': (m) => this.onMessageUpdated(m),
        'message:deleted': (e) => this.onMessageDeleted(e),
        typing: (e) => this.onTyping(e),
        presence: (e) => this.onPresence(e),
        'channel:joined': (c) => this.onChannelJoined(c),
        'channel:left': (e) => this.onChannelLeft(e.channelId),
        'channel:updated': (c) => this.onChannelUpdated(c),
        'member:joined': (e) => this.onMember(e.channelId, e.username, true),
        'member:left': (e) => this.onMember(e.channelId, e.username, false),
        'session:ended': (e) => {
          if (e.message !== 'Access token expired') this.notice(`Session ended: ${cleanLine(e.message)}`);
        },
      },
    });
    session.onEnded = (err) => {
      this.error(err);
      void this.shutdown(1);
    };
  }

  /** Runs until the user leaves; resolves with the exit code. */
  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    this.screen.onQuit(() => void this.shutdown(0));
    this.screen.onLine((line) => this.onLine(line));
    this.screen.onKeypress(() => this.onKeypress());

    for (const c of await this.api.channels()) this.channels.set(c.id, c);
    const me = cleanLine(this.session.user.username, 32);
    this.screen.print(
      this.style.dim(
        `Logged in as ${me} at ${this.url}. ${this.channels.size} channel(s); /help for commands.`,
      ),
    );
    this.screen.start(this.prompt());
    this.realtime.start();

    const first = this.initialChannel
      ? this.find(this.initialChannel)
      : [...this.channels.values()]
          .filter((c) => c.kind !== 'dm')
          .sort((a, b) => a.name.localeCompare(b.name))[0];
    if (first) this.open(first);
    else if (this.initialChannel) this.error(this.notFound(this.initialChannel));
    else this.notice('You are in no channel yet: /list shows public channels, /join <name> joins one.');
    return done;
  }

  async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopTyping();
    this.clearTimers();
    this.realtime.stop();
    this.screen.close();
    if (this.outbox.length > 0) {
      this.screen.write(`${this.outbox.length} message(s) were not sent.`);
    }
    // A password login is ended on the server too, so its refresh token dies with this process.
    await Promise.race([this.session.logout(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.finish(code);
  }

  // --- input ---

  private onLine(line: string): void {
    const command = parseCommand(line);
    this.execute(command).catch((err: unknown) => this.error(err));
  }

  private async execute(command: Command): Promise<void> {
    switch (command.kind) {
      case 'none':
        return;
      case 'invalid':
        return this.error(command.message);
      case 'help':
        return this.screen.print(HELP.join('\n'));
      case 'quit':
        return this.shutdown(0);
      case 'send':
        return this.send(command.body);
      case 'channels':
        return this.screen.print(
          channelList([...this.channels.values()], this.view?.channel.id ?? null, this.style).join('\n'),
        );
      case 'list':
        return this.listPublic(command.filter);
      case 'join':
        return this.whileJoining(() => this.join(command.name));
      case 'switch': {
        const c = this.find(command.name);
        if (!c) return this.error(this.notFound(command.name));
        return this.open(c);
      }
      case 'dm':
        return this.whileJoining(() => this.dm(command.username));
      case 'who':
        return this.who();
    }
  }

  private onKeypress(): void {
    const view = this.view;
    const line = this.screen.line;
    if (!view || !line.trim() || line.startsWith('/')) {
      if (!line.trim()) this.stopTyping();
      return;
    }
    const now = Date.now();
    const t = this.myTyping;
    if (!t || t.channelId !== view.channel.id || now - t.sentAt >= TYPING_RENEW_MS) {
      if (t && t.channelId !== view.channel.id) this.stopTyping();
      this.realtime.typing(view.channel.id, true);
      this.myTyping = { channelId: view.channel.id, sentAt: now };
    }
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    if (!this.myTyping) return;
    this.realtime.typing(this.myTyping.channelId, false);
    this.myTyping = null;
  }

  // --- commands ---

  private send(body: string): void {
    const view = this.view;
    if (!view) return this.error('Open a channel first: /channels lists yours, /join <name> joins one.');
    // The server stops our typing indicator when the message lands.
    this.myTyping = null;
    if (this.typingIdle) clearTimeout(this.typingIdle);
    const item: Outgoing = { channelId: view.channel.id, body, clientId: randomUUID() };
    this.outbox.push(item);
    if (!this.realtime.connected) {
      this.notice('Not connected: the message will be sent when the connection is back.');
      return;
    }
    void this.deliver(item);
  }

  /** One attempt; on a lost connection the item stays in the outbox for the next connect. */
  private async deliver(item: Outgoing): Promise<void> {
    try {
      const { message } = await this.realtime.call('message:send', {
        channelId: item.channelId,
        body: item.body,
        clientId: item.clientId,
      });
      this.dropFromOutbox(item);
      this.onMessageNew(message);
    } catch (err) {
      if (err instanceof ChatError && err.code === 'UNAVAILABLE' && !this.stopping) {
        // Timed out or disconnected: it may or may not be stored; the same clientId makes the retry safe.
        if (this.realtime.connected) setTimeout(() => void this.deliver(item), 1_000).unref();
        return;
      }
      if (err instanceof ChatError && err.code === 'UNAUTHORIZED' && !this.stopping) {
        // The access token ran out under the command: the server ends that session at once, and
        // the item goes out again, same clientId, as soon as the next one is up (onConnected).
        return;
      }
      if (err instanceof ChatError && err.code === 'RATE_LIMITED' && !this.stopping) {
        setTimeout(() => void this.deliver(item), 1_000).unref();
        return;
      }
      this.dropFromOutbox(item);
      this.error(`Not sent: ${describeError(err)}`);
    }
  }

  private dropFromOutbox(item: Outgoing): void {
    const i = this.outbox.indexOf(item);
    if (i >= 0) this.outbox.splice(i, 1);
  }

  private async whileJoining(fn: () => Promise<void>): Promise<void> {
    this.joining++;
    try {
      await fn();
    } finally {
      this.joining--;
    }
  }

  private async listPublic(filter: string): Promise<void> {
    const list = await this.api.publicChannels(filter);
    if (list.length === 0)
      return this.notice(
        filter ? `No public channel matches "${cleanLine(filter)}".` : 'No public channels.',
      );
    const lines = list.map((c) => {
      const joined = this.channels.has(c.id) ? this.style.dim(' (joined)') : '';
      const topic = c.topic ? this.style.dim(` — ${cleanLine(c.topic, 60)}`) : '';
      return `  ${channelLabel(c)} ${this.style.dim(`${c.memberCount} member(s)`)}${joined}${topic}`;
    });
    this.screen.print(['Public channels:', ...lines].join('\n'));
  }

  private async join(name: string): Promise<void> {
    const mine = [...this.channels.values()].find(
      (c) => c.kind !== 'dm' && c.name.toLowerCase() === name.toLowerCase(),
    );
    if (mine) return this.open(mine);
    const found = (await this.api.publicChannels(name)).find(
      (c) => c.name.toLowerCase() === name.toLowerCase(),
    );
    if (!found) return this.error(`No public channel named "${cleanLine(name)}". /list shows them.`);
    const joined = await this.api.join(found.id);
    this.channels.set(joined.id, joined);
    this.notice(`Joined ${shortLabel(joined)}.`);
    this.open(joined);
  }

  private async dm(username: string): Promise<void> {
    if (username.toLowerCase() === this.session.user.username.toLowerCase()) {
      return this.error('That is you: a DM needs someone else.');
    }
    const existing = this.findDm(username);
    if (existing) return this.open(existing);
    const user = (await this.api.users(username)).find(
      (u) => u.username.toLowerCase() === username.toLowerCase(),
    );
    if (!user) return this.error(`No user named "${cleanLine(username, 32)}".`);
    const channel = await this.api.openDm(user.id);
    this.channels.set(channel.id, channel);
    this.open(channel);
  }

  private who(): void {
    const view = this.view;
    if (!view) return this.error('Open a channel first.');
    if (view.members.length === 0) return this.notice('Loading members…');
    const sorted = [...view.members].sort(
      (a, b) =>
        Number(this.isOnline(view, b)) - Number(this.isOnline(view, a)) ||
        a.username.localeCompare(b.username),
    );
    const lines = sorted.map((m) => {
      const on = this.isOnline(view, m);
      const dot = on ? this.style.accent('●') : this.style.dim('○');
      const you = m.userId === this.session.user.id ? this.style.dim(' (you)') : '';
      const owner = m.role === 'owner' ? this.style.dim(' owner') : '';
      return `  ${dot} ${cleanLine(m.username, 32)}${you}${owner} ${this.style.dim(on ? 'online' : 'offline')}`;
    });
    this.screen.print([`${shortLabel(view.channel)}: ${view.members.length} member(s)`, ...lines].join('\n'));
  }

  private isOnline(view: View, m: Member): boolean {
    if (m.userId === this.session.user.id) return this.realtime.connected;
    return view.followed.includes(m.userId) ? view.online.has(m.userId) : m.online;
  }

  // --- the open channel ---

  private open(channel: Channel): void {
    if (this.view?.channel.id === channel.id) return this.notice(`Already in ${shortLabel(channel)}.`);
    this.stopTyping();
    this.closeView();
    const view: View = {
      channel,
      timeline: new Timeline(channel.id),
      typing: new Map(),
      members: [],
      online: new Set(),
      followed: [],
      shown: new Map(),
      readSeq: 0,
      readTimer: null,
    };
    this.view = view;
    channel.unreadCount = 0;
    channel.mentionCount = 0;
    const topic = channel.topic && channel.kind !== 'dm' ? ` — ${cleanLine(channel.topic, 60)}` : '';
    this.screen.print(this.style.accent(`── ${channelLabel(channel)}${topic} ──`));
    this.refreshPrompt();
    void this.serial(channel.id, async () => {
      const page = await this.api.history(channel.id, HISTORY_PAGE);
      if (this.view !== view) return;
      if (page.hasMore) this.screen.print(this.style.dim('(older messages not shown)'));
      const fresh = view.timeline.merge(page.messages);
      if (fresh.length === 0 && page.messages.length === 0)
        this.screen.print(this.style.dim('(no messages yet)'));
      for (const m of fresh) this.show(view, m);
      this.markRead(view);
    });
    void this.loadMembers(view);
  }

  private closeView(): void {
    const view = this.view;
    if (!view) return;
    for (const t of view.typing.values()) clearTimeout(t.timer);
    if (view.readTimer) clearTimeout(view.readTimer);
    this.view = null;
  }

  private async loadMembers(view: View): Promise<void> {
    try {
      const members = await this.api.members(view.channel.id);
      if (this.view !== view) return;
      view.members = members;
      await this.followPresence(view);
    } catch (err) {
      if (this.view === view) this.error(err);
    }
  }

  /** Follows the presence of (up to 20 of) the open channel's members; online ones first. */
  private async followPresence(view: View): Promise<void> {
    if (!this.realtime.connected) return; // done again on connect
    const others = view.members
      .filter((m) => m.userId !== this.session.user.id)
      .sort((a, b) => Number(b.online) - Number(a.online))
      .slice(0, PRESENCE_FOLLOW_MAX)
      .map((m) => m.userId);
    const { online } = await this.realtime.call('presence:subscribe', { userIds: others });
    if (this.view !== view) return;
    view.followed = others;
    view.online = new Set(online);
  }

  private show(view: View, m: Message): void {
    // A tombstone for a message never shown is noise.
    if (m.deleted && !view.shown.has(m.seq)) return;
    view.shown.set(m.seq, { body: m.body, editedAt: m.editedAt });
    if (view.shown.size > REMEMBERED_MAX) view.shown.delete(view.shown.keys().next().value as number);
    this.screen.print(formatMessage(m, this.style));
  }

  /** Runs `fn` after everything queued for this channel, so a timeline changes one step at a time. */
  private serial(channelId: string, fn: () => Promise<void> | void): Promise<void> {
    const next = (this.chains.get(channelId) ?? Promise.resolve()).then(fn).catch((err: unknown) => {
      if (!this.stopping) this.error(err);
    });
    this.chains.set(channelId, next);
    return next;
  }

  /** Everything after the timeline's cursor, from the database (`channel:sync`), page by page. */
  private async catchUp(view: View): Promise<void> {
    for (;;) {
      if (this.view !== view || !this.realtime.connected) return;
      const ack = await this.realtime.call('channel:sync', {
        channelId: view.channel.id,
        afterSeq: view.timeline.lastSeq,
        limit: LIMITS.pageLimitMax,
      });
      if (this.view !== view) return;
      for (const m of view.timeline.merge(ack.messages)) this.show(view, m);
      if (!ack.hasMore) break;
    }
    this.markRead(view);
  }

  /** Moves the read marker to what is on screen (batched: one call per burst of messages). */
  private markRead(view: View): void {
    if (view.readTimer || view.timeline.lastSeq <= view.readSeq) return;
    view.readTimer = setTimeout(() => {
      view.readTimer = null;
      const seq = view.timeline.lastSeq;
      if (this.view !== view || seq <= view.readSeq || !this.realtime.connected) return;
      view.readSeq = seq;
      // A read marker that did not move is harmless; the next one moves it.
      this.realtime.call('channel:read', { channelId: view.channel.id, seq }).catch(() => undefined);
    }, 300);
  }

  // --- pushes ---

  private onMessageNew(m: Message): void {
    const channel = this.channels.get(m.channelId);
    if (channel) channel.lastSeq = Math.max(channel.lastSeq, m.seq);
    const view = this.view;
    if (view && view.channel.id === m.channelId) {
      this.dropTypist(view, m.author.id);
      void this.serial(m.channelId, async () => {
        if (this.view !== view) return;
        const verdict = view.timeline.accept(m.seq);
        if (verdict === 'new') {
          this.show(view, m);
          this.markRead(view);
        } else if (verdict === 'gap') {
          await this.catchUp(view);
        }
      });
      return;
    }
    if (!channel || m.author.id === this.session.user.id) return;
    channel.unreadCount++;
    if (channel.unreadCount === 1) {
      const who = cleanLine(m.author.username, 32);
      const hint =
        channel.kind === 'dm'
          ? `${who} sent you a message (/c @${cleanLine(channel.name, 32)})`
          : `New messages in ${shortLabel(channel)} (/c ${cleanLine(channel.name, 40)})`;
      this.notice(hint);
    }
    this.refreshPrompt();
  }

  private onMessageUpdated(m: Message): void {
    const view = this.view;
    if (!view || view.channel.id !== m.channelId) return;
    void this.serial(m.channelId, () => {
      const before = view.shown.get(m.seq);
      // Reactions, pins and reply counts also come as updates: only a changed body is news here.
      if (!before || (before.body === m.body && before.editedAt === m.editedAt) || m.deleted) return;
      this.show(view, m);
    });
  }

  private onMessageDeleted(e: MessageDeletedEvent): void {
    const view = this.view;
    if (!view || view.channel.id !== e.channelId || !view.shown.has(e.seq)) return;
    view.shown.delete(e.seq);
    this.screen.print(this.style.dim('(a message above was deleted)'));
  }

  private onTyping(e: TypingEvent): void {
    const view = this.view;
    if (!view || view.channel.id !== e.channelId || e.userId === this.session.user.id) return;
    if (!e.typing) return this.dropTypist(view, e.userId);
    const old = view.typing.get(e.userId);
    if (old) clearTimeout(old.timer);
    view.typing.set(e.userId, {
      username: e.username,
      timer: setTimeout(() => this.dropTypist(view, e.userId), TYPING_STALE_MS),
    });
    this.refreshPrompt();
  }

  private dropTypist(view: View, userId: string): void {
    const t = view.typing.get(userId);
    if (!t) return;
    clearTimeout(t.timer);
    view.typing.delete(userId);
    if (this.view === view) this.refreshPrompt();
  }

  private onPresence(e: PresenceEvent): void {
    const view = this.view;
    if (!view || !view.followed.includes(e.userId)) return;
    if (view.online.has(e.userId) === e.online) return;
    if (e.online) view.online.add(e.userId);
    else view.online.delete(e.userId);
    this.notice(`${cleanLine(e.username, 32)} is ${e.online ? 'online' : 'offline'}`);
  }

  private onChannelJoined(c: Channel): void {
    const known = this.channels.has(c.id);
    this.channels.set(c.id, c);
    if (!known && this.joining === 0 && this.view?.channel.id !== c.id) {
      this.notice(
        c.kind === 'dm' ? `New DM with @${cleanLine(c.name, 32)}.` : `You are now in ${shortLabel(c)}.`,
      );
    }
    this.refreshPrompt();
  }

  private onChannelLeft(channelId: string): void {
    const c = this.channels.get(channelId);
    this.channels.delete(channelId);
    if (this.view?.channel.id === channelId) {
      this.closeView();
      this.notice(`You are no longer in ${c ? shortLabel(c) : 'this channel'}. /channels lists yours.`);
    }
    this.refreshPrompt();
  }

  private onChannelUpdated(c: Channel): void {
    const view = this.view;
    if (view?.channel.id === c.id) {
      view.channel.name = c.name;
      view.channel.topic = c.topic;
      this.channels.set(c.id, view.channel);
    } else this.channels.set(c.id, c);
    this.refreshPrompt();
  }

  private onMember(channelId: string, username: string, joined: boolean): void {
    const view = this.view;
    if (!view || view.channel.id !== channelId) return;
    this.notice(`${cleanLine(username, 32)} ${joined ? 'joined' : 'left'} ${shortLabel(view.channel)}`);
    void this.loadMembers(view);
  }

  // --- connection ---

  private onConnected(again: boolean): void {
    this.state = 'live';
    const view = this.view;
    if (again && (this.lossShown || this.refusalShown)) this.notice('Reconnected.');
    this.lossShown = false;
    this.refusalShown = false;
    if (view) {
      // Queued before anything the new connection pushes, so live messages land after the catch-up.
      void this.serial(view.channel.id, () => this.catchUp(view));
      void this.followPresence(view).catch((err: unknown) => this.error(err));
    }
    for (const item of [...this.outbox]) void this.deliver(item);
    if (again) void this.reloadChannels();
    this.refreshPrompt();
  }

  /** Channels joined, left or written to while away. */
  private async reloadChannels(): Promise<void> {
    try {
      const list = await this.api.channels();
      const ids = new Set(list.map((c) => c.id));
      for (const id of [...this.channels.keys()]) if (!ids.has(id)) this.onChannelLeft(id);
      for (const c of list) {
        if (this.view?.channel.id === c.id) continue;
        this.channels.set(c.id, c);
      }
      this.refreshPrompt();
    } catch (err) {
      this.error(err);
    }
  }

  private onDisconnected(reason: string): void {
    if (this.stopping) return;
    const view = this.view;
    if (view) {
      for (const t of view.typing.values()) clearTimeout(t.timer);
      view.typing.clear();
    }
    this.myTyping = null;
    // The server ends every session at token expiry; that reconnection is routine and silent.
    if (this.state === 'live' && reason !== 'io server disconnect') {
      this.notice('Connection lost; reconnecting…');
      this.lossShown = true;
    }
    this.state = 'reconnecting';
    this.refreshPrompt();
  }

  // --- output ---

  private prompt(): string {
    const view = this.view;
    const parts: string[] = [view ? shortLabel(view.channel) : '(no channel)'];
    if (view && view.typing.size > 0)
      parts.push(typingLine([...view.typing.values()].map((t) => t.username)));
    const others = [...this.channels.values()].filter((c) => c.id !== view?.channel.id);
    const unread = unreadSummary(others);
    if (unread) parts.push(`unread: ${unread}`);
    if (this.state !== 'live') parts.push(this.state === 'connecting' ? 'connecting…' : 'reconnecting…');
    return `${parts.join(' · ')} > `;
  }

  private refreshPrompt(): void {
    if (!this.stopping) this.screen.setPrompt(this.prompt());
  }

  private find(name: string): Channel | undefined {
    const all = [...this.channels.values()];
    if (name.startsWith('@')) return this.findDm(name.slice(1));
    const bare = stripSigil(name).toLowerCase();
    return (
      all.find((c) => c.kind !== 'dm' && c.name.toLowerCase() === bare) ??
      all.find((c) => c.kind === 'dm' && c.name.toLowerCase() === bare)
    );
  }

  private findDm(username: string): Channel | undefined {
    const bare = username.toLowerCase();
    return [...this.channels.values()].find((c) => c.kind === 'dm' && c.name.toLowerCase() === bare);
  }

  private notFound(name: string): string {
    return `You are in no channel named "${cleanLine(name)}". /channels lists yours; /join <name> joins a public one.`;
  }

  private notice(text: string): void {
    if (!this.stopping) this.screen.print(this.style.dim(`· ${text}`));
  }

  private error(err: unknown): void {
    if (this.stopping) return;
    const text = typeof err === 'string' ? err : describeError(err);
    this.screen.print(this.style.warn(`! ${text}`));
  }

  private clearTimers(): void {
    this.closeView();
    if (this.typingIdle) clearTimeout(this.typingIdle);
  }
}
