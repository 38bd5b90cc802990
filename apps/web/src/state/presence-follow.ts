import { LIMITS } from '@chat/contracts';

/** What the follower needs from the store and the connection. */
export interface PresenceFollowContext {
  /**
   * The users on screen, most important first (DM partners, then the open channel's members), or
   * null while what is on screen is still loading (the set then stays as it is).
   */
  wanted(): string[] | null;
  connected(): boolean;
  subscribe(userIds: string[]): Promise<string[]>;
  /** The server's answer: which of `followed` are online right now. */
  answered(followed: string[], online: string[]): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

/** Changes on screen settle this long before the set is sent: opening a channel is one subscribe, not ten. */
const SETTLE_MS = 150;

/**
 * Keeps the server's presence subscription (`presence:subscribe`) equal to the users the client
 * shows: the server pushes presence only to sockets that follow a user, so this is how the sidebar
 * dots and the member list stay live. Sends only when the set changed, and again after every
 * (re)connection, since the server keeps nothing across connections.
 */
export class PresenceFollower {
  /** The set the server holds for this connection, as a key; a new connection holds none. */
  private sentKey: string | null = '';
  private scheduled = false;

  constructor(private readonly ctx: PresenceFollowContext) {}

  /** Something on screen may have changed: check the set a moment later. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      void this.sync();
    };
    if (this.ctx.setTimer) this.ctx.setTimer(fire, SETTLE_MS);
    else queueMicrotask(fire);
  }

  /** A new connection follows nobody yet: send the set again. */
  reconnected(): void {
    this.sentKey = '';
    this.schedule();
  }

  private async sync(): Promise<void> {
    const wanted = this.ctx.connected() ? this.ctx.wanted() : null;
    if (!wanted) return;
    const userIds = [...new Set(wanted)].slice(0, LIMITS.presenceSubscriptionsMax);
    const key = [...userIds].sort().join(',');
    if (key === this.sentKey) return;
    this.sentKey = key;
    try {
      const online = await this.ctx.subscribe(userIds);
      this.ctx.answered(userIds, online);
    } catch {
      // Not sent (disconnected, rate-limited): the next change or reconnection sends it again.
      if (this.sentKey === key) this.sentKey = null;
    }
  }
}
