import type { ChannelKind, NotificationKind, NotifyLevel } from '@chat/contracts';
import { defaultNotifyLevel } from '../channels/channel.mapper';

/**
 * A member the new message may concern, as the repository reads them: never its author, never a
 * muted member, never a member at `none` (the statement leaves those out), so this only weighs the
 * level against what the message is to them.
 */
export interface Candidate {
  userId: string;
  /** Their level here; null: the channel kind's default. */
  notify: NotifyLevel | null;
  /** The message names them with `@username`. */
  mentioned: boolean;
  /** The message is a reply in a thread they follow (they started it or took part). */
  follows: boolean;
}

/** The message, as far as the rules need it. */
export interface PlannedMessage {
  channelKind: ChannelKind;
  /** `@channel` or `@here`: a mention of every member. */
  everyone: boolean;
}

/** In the order a recipient's kind is chosen: the first that applies wins. */
export const KIND_PRECEDENCE: readonly NotificationKind[] = ['dm', 'mention', 'reply', 'message'];

/**
 * What `candidate` is notified of, or null: nothing.
 * - `all`: every message, as `dm` in a DM, else `mention` / `reply` / `message`, whichever applies first;
 * - `mentions` (the default outside DMs): messages that mention them (their name, `@channel`, `@here`)
 *   and, outside DMs, replies in threads they follow; in a DM a mention is still a `dm`;
 * - `none`: nothing.
 */
export function notificationKind(candidate: Candidate, message: PlannedMessage): NotificationKind | null {
  const level = candidate.notify ?? defaultNotifyLevel(message.channelKind);
  const mentioned = candidate.mentioned || message.everyone;
  const dm = message.channelKind === 'dm';
  switch (level) {
    case 'none':
      return null;
    case 'all':
      if (dm) return 'dm';
      return mentioned ? 'mention' : candidate.follows ? 'reply' : 'message';
    case 'mentions':
      if (mentioned) return dm ? 'dm' : 'mention';
      return !dm && candidate.follows ? 'reply' : null;
  }
}

/** The recipients of one kind of notification of a message. */
export interface PlannedGroup {
  kind: NotificationKind;
  userIds: string[];
}

/**
 * Recipients grouped by kind (each user once), in KIND_PRECEDENCE order, empty groups left out:
 * one push per kind reaches every socket of its users.
 */
export function planNotifications(candidates: readonly Candidate[], message: PlannedMessage): PlannedGroup[] {
  const byKind = new Map<NotificationKind, Set<string>>();
  for (const c of candidates) {
    const kind = notificationKind(c, message);
    if (kind === null) continue;
    let users = byKind.get(kind);
    if (!users) byKind.set(kind, (users = new Set()));
    users.add(c.userId);
  }
  return KIND_PRECEDENCE.filter((k) => byKind.has(k)).map((kind) => ({
    kind,
    userIds: [...(byKind.get(kind) as Set<string>)],
  }));
}
