import type { Channel, Message } from '@chat/contracts';
import { describeError } from '../../api/errors';
import type { RealtimePort, RestPort } from '../ports';
import * as unread from '../unread';
import { Slice } from './slice';

export interface ChannelsState {
  channels: Channel[];
  channelsLoaded: boolean;
  activeId: string | null;
}

/** What the channel list needs from the rest of the store. */
export interface ChannelsContext {
  rest: RestPort;
  rt: RealtimePort;
  /** Whether the page is visible (a hidden tab does not read messages). */
  isVisible: () => boolean;
  /** The newest seq held in a channel's history, if it is loaded. */
  heldSeq(channelId: string): number | undefined;
  /** A fresh list is in. */
  listed(): void;
  notify(text: string): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** The caller's channels and DMs, which one is open, unread counts and read markers. */
export class ChannelsSlice extends Slice<ChannelsState> {
  private readonly readMarkers = new unread.ReadMarkers();
  private readTimer: unknown = null;
  private reload: Promise<void> | null = null;

  constructor(
    private readonly ctx: ChannelsContext,
    changed: () => void,
  ) {
    super({ channels: [], channelsLoaded: false, activeId: null }, changed);
  }

  get(id: string): Channel | undefined {
    return this.state.channels.find((c) => c.id === id);
  }

  /** Adds or replaces a channel; a copy equal to the one held changes nothing (and renders nothing). */
  put(c: Channel): void {
    const cur = this.get(c.id);
    if (cur && sameFields(cur, c)) return;
    this.set({
      channels: cur ? this.state.channels.map((x) => (x.id === c.id ? c : x)) : [...this.state.channels, c],
    });
  }

  setActive(channelId: string | null): void {
    if (channelId !== this.state.activeId) this.set({ activeId: channelId });
  }

  viewing(channelId: string): boolean {
    return this.state.activeId === channelId && this.ctx.isVisible();
  }

  /** The channel list (and with it the server's unread counts); concurrent callers share one. */
  load(): Promise<void> {
    if (!this.reload) {
      const before = new Set(this.state.channels.map((c) => c.id));
      this.reload = this.ctx.rest
        .channels()
        .then((answer) => {
          // Joins and leaves that happened while the list was on its way are newer than it.
          const now = new Map(this.state.channels.map((c) => [c.id, c]));
          const listed = new Set(answer.map((c) => c.id));
          const list = [
            ...answer.filter((c) => now.has(c.id) || !before.has(c.id)),
            ...[...now.values()].filter((c) => !before.has(c.id) && !listed.has(c.id)),
          ];
          const channels = list.map((c) => {
            // Our timeline may already be ahead of the list (a push raced the request).
            const held = this.ctx.heldSeq(c.id);
            const last = held !== undefined ? Math.max(c.lastSeq, held) : c.lastSeq;
            return this.viewing(c.id)
              ? { ...c, lastSeq: last, unreadCount: 0, mentionCount: 0 }
              : { ...c, lastSeq: last };
          });
          const known = new Set(channels.map((c) => c.id));
          const activeGone = this.state.activeId && !known.has(this.state.activeId);
          this.set({ channels, channelsLoaded: true, ...(activeGone ? { activeId: null } : {}) });
          if (this.state.activeId) this.scheduleRead(this.state.activeId);
          this.ctx.listed();
        })
        .catch((err: unknown) => {
          if (!this.state.channelsLoaded)
            this.ctx.notify(`Could not load your channels: ${describeError(err)}`);
        })
        .finally(() => {
          this.reload = null;
        });
    }
    return this.reload;
  }

  /** Messages entered a channel's history: its last seq and unread count follow. */
  counted(channelId: string, messages: Message[], myUserId: string): void {
    const c = this.get(channelId);
    if (!c) return;
    const next = unread.onIncomingMany(c, messages, { myUserId, viewing: this.viewing(channelId) });
    if (next !== c) this.put(next);
  }

  remove(channelId: string): void {
    this.readMarkers.forget(channelId);
    this.set({
      channels: this.state.channels.filter((c) => c.id !== channelId),
      activeId: this.state.activeId === channelId ? null : this.state.activeId,
    });
  }

  // --- reading ---

  /** The page became visible again (or the window got focus): read what is on screen. */
  onVisible(): void {
    if (this.state.activeId) this.scheduleRead(this.state.activeId);
  }

  /** Marks the channel read on screen now, and tells the server a moment later. */
  scheduleRead(channelId: string): void {
    if (!this.viewing(channelId)) return;
    const c = this.get(channelId);
    if (c && (c.unreadCount || c.mentionCount)) this.put(unread.markRead(c));
    if (this.readTimer !== null) return;
    const fire = () => {
      this.readTimer = null;
      const id = this.state.activeId;
      if (id && this.viewing(id)) void this.sendRead(id);
    };
    this.readTimer = this.ctx.setTimer ? this.ctx.setTimer(fire, 400) : (fire(), null);
  }

  private async sendRead(channelId: string): Promise<void> {
    const seq = Math.max(this.get(channelId)?.lastSeq ?? 0, this.ctx.heldSeq(channelId) ?? 0);
    const next = this.readMarkers.next(channelId, seq);
    if (next === null || !this.ctx.rt.connected) return;
    try {
      await this.ctx.rt.read(channelId, next);
      this.readMarkers.sentUpTo(channelId, next);
    } catch {
      // The next view or reconnect sends it again.
    }
  }

  dispose(): void {
    if (this.readTimer !== null) this.ctx.clearTimer?.(this.readTimer);
  }
}

const sameFields = (a: Channel, b: Channel): boolean =>
  (Object.keys(b) as (keyof Channel)[]).every((k) => Object.is(a[k], b[k])) &&
  Object.keys(a).length === Object.keys(b).length;
