import type { Channel, Message } from '@chat/contracts';

/**
 * Unread counting on top of the server's `unreadCount`: the server's number is the truth when
 * the channel list is (re)loaded; between loads the client counts live messages itself. A message
 * is counted at most once (only when its seq moves the channel's `lastSeq` forward), never when it
 * is our own, and never while the user is looking at the channel.
 */
export function onIncoming(
  channel: Channel,
  message: Message,
  opts: { myUserId: string; viewing: boolean },
): Channel {
  if (message.seq <= channel.lastSeq) return channel; // already counted (duplicate or catch-up overlap)
  const counts = !opts.viewing && message.author.id !== opts.myUserId && !message.deleted;
  const mention = counts && mentionsMe(message, opts.myUserId);
  const mentionCount = channel.mentionCount ?? 0;
  return {
    ...channel,
    lastSeq: message.seq,
    unreadCount: counts ? channel.unreadCount + 1 : opts.viewing ? 0 : channel.unreadCount,
    mentionCount: mention ? mentionCount + 1 : opts.viewing ? 0 : mentionCount,
  };
}

/** Whether a message mentions the reader: by name, or everyone with `@channel` / `@here`. */
export const mentionsMe = (m: Pick<Message, 'mentions'>, myUserId: string): boolean =>
  !!m.mentions && (m.mentions.channel || m.mentions.userIds.includes(myUserId));

/** Several messages at once (a catch-up page), in seq order. */
export function onIncomingMany(
  channel: Channel,
  messages: Message[],
  opts: { myUserId: string; viewing: boolean },
): Channel {
  return [...messages].sort((a, b) => a.seq - b.seq).reduce((c, m) => onIncoming(c, m, opts), channel);
}

export function markRead(channel: Channel): Channel {
  return channel.unreadCount === 0 && !channel.mentionCount
    ? channel
    : { ...channel, unreadCount: 0, mentionCount: 0 };
}

/**
 * Tracks which read marker we last sent per channel, so `channel:read` goes out only when the
 * marker moves forward (the server keeps the highest anyway; this just saves traffic).
 */
export class ReadMarkers {
  private readonly sent = new Map<string, number>();

  /** The seq to send, or null when it would not move the marker. */
  next(channelId: string, seq: number): number | null {
    if (seq <= 0 || seq <= (this.sent.get(channelId) ?? 0)) return null;
    return seq;
  }

  sentUpTo(channelId: string, seq: number): void {
    this.sent.set(channelId, Math.max(seq, this.sent.get(channelId) ?? 0));
  }

  forget(channelId: string): void {
    this.sent.delete(channelId);
  }
}
