import type { Channel, Notification, NotificationKind } from '@chat/contracts';
import { permalinkHash } from '../util/permalink';

/**
 * Whether a `notification` for this channel should reach the person at all, by the level they set
 * here. The server already decides by the same rule; this covers the race where the person changed
 * the level (or muted) while a notification was on its way.
 */
export function notifies(c: Pick<Channel, 'notify' | 'muted'>, kind: NotificationKind): boolean {
  if (c.muted || c.notify === 'none') return false;
  return kind !== 'message' || c.notify === 'all';
}

/**
 * The number in the tab title and the favicon badge: unread messages in channels that are not
 * muted (a muted channel asked for quiet), plus mentions anywhere, since a mention is about you.
 */
export function attentionCount(channels: readonly Channel[]): number {
  let n = 0;
  for (const c of channels) n += c.muted ? Math.max(0, c.mentionCount ?? 0) : Math.max(0, c.unreadCount);
  return n;
}

/** "(3) #general · Chat": the count first, so it survives a narrow tab. */
export function tabTitle(count: number, where: string | null): string {
  const base = where ? `${where} · Chat` : 'Chat';
  return count > 0 ? `(${count > 999 ? '999+' : count}) ${base}` : base;
}

/** What a notification is about, in a word or two (the in-app toast's label). */
export const NOTIFICATION_LABEL: Record<NotificationKind, string> = {
  mention: 'Mention',
  dm: 'Direct message',
  reply: 'Reply',
  message: 'New message',
};

/** One notification tag per channel: a burst in one channel replaces, it does not stack. */
export const notificationTag = (channelId: string): string => `chat:${channelId}`;

/** Where a click on a notification leads: the app at that message (a permalink route). */
export const notificationUrl = (n: Pick<Notification, 'channelId' | 'seq'>): string =>
  `/${permalinkHash(n.channelId, n.seq)}`;
