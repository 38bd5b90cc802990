import { SocketHub } from '../infra/socket-hub';

export interface PresenceUser {
  id: string;
  username: string;
}

interface Transition {
  user: PresenceUser;
  online: boolean;
}

/**
 * Presence transitions go out once per event-loop turn, each as the contract's `presence` event to
 * the sockets subscribed to that user (`presence:subscribe`), so a user coming or going costs one
 * broadcast whose deliveries are its subscribers, whatever the size of the user's channels. Within
 * a turn a user's transitions collapse into the last one, and a flap (online and offline again, or
 * the reverse) into none: nobody needs to hear it.
 */
export class PresenceAnnouncer {
  private readonly pending = new Map<string, Transition>();
  private scheduled = false;

  constructor(private readonly hub: SocketHub) {}

  announce(user: PresenceUser, online: boolean): void {
    const queued = this.pending.get(user.id);
    if (queued && queued.online !== online) {
      this.pending.delete(user.id);
      return;
    }
    this.pending.set(user.id, { user, online });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const { user, online } of batch) {
      this.hub.toPresenceSubscribers(user.id, 'presence', {
        userId: user.id,
        username: user.username,
        online,
      });
    }
  }
}
