import { SocketHub } from '../infra/socket-hub';

export interface PresenceUser {
  id: string;
  username: string;
}

interface Transition {
  user: PresenceUser;
  channelIds: string[];
  online: boolean;
}

/**
 * Presence transitions go out once per event-loop turn, each as the contract's `presence` event to
 * the users who share a channel. Within a turn a user's transitions collapse into the last one, and
 * a flap (online and offline again, or the reverse) into none: nobody needs to hear it.
 */
export class PresenceAnnouncer {
  private readonly pending = new Map<string, Transition>();
  private scheduled = false;

  constructor(private readonly hub: SocketHub) {}

  announce(user: PresenceUser, channelIds: string[], online: boolean): void {
    const queued = this.pending.get(user.id);
    if (queued && queued.online !== online) {
      this.pending.delete(user.id);
      return;
    }
    const rooms = queued ? [...new Set([...queued.channelIds, ...channelIds])] : channelIds;
    this.pending.set(user.id, { user, channelIds: rooms, online });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const { user, channelIds, online } of batch) {
      this.hub.toChannels(channelIds, user.id, 'presence', {
        userId: user.id,
        username: user.username,
        online,
      });
    }
  }
}
