import { LIMITS, type Reaction } from '@chat/contracts';

/**
 * Reactions as the client shows and toggles them. The server's `message:reactions` push is the
 * truth; a click applies its expected result at once (so the chip answers under the finger) and
 * the push or the refusal settles it.
 */

export const sameReactions = (a: readonly Reaction[], b: readonly Reaction[]): boolean =>
  a === b ||
  (a.length === b.length &&
    a.every(
      (r, i) =>
        r.emoji === b[i].emoji &&
        r.userIds.length === b[i].userIds.length &&
        r.userIds.every((u, j) => u === b[i].userIds[j]),
    ));

export const reactedBy = (r: Reaction, userId: string): boolean => r.userIds.includes(userId);

/** Whether a click on `emoji` adds the caller's reaction (or removes it). */
export const isAdd = (reactions: readonly Reaction[], emoji: string, userId: string): boolean =>
  !reactions.some((r) => r.emoji === emoji && reactedBy(r, userId));

/** Whether one more distinct emoji fits (the contract allows 20 per message). */
export const roomForNewEmoji = (reactions: readonly Reaction[]): boolean =>
  reactions.length < LIMITS.reactionsPerMessageMax;

/**
 * The reactions after the caller adds or removes `emoji`, as the server would answer: adding
 * twice changes nothing, a new emoji goes last (order of first use), an emptied one disappears.
 * A new emoji over the limit changes nothing (the server refuses it).
 */
export function applyToggle(
  reactions: readonly Reaction[],
  emoji: string,
  userId: string,
  add: boolean,
): Reaction[] {
  const idx = reactions.findIndex((r) => r.emoji === emoji);
  if (add) {
    if (idx < 0) {
      return roomForNewEmoji(reactions) ? [...reactions, { emoji, userIds: [userId] }] : [...reactions];
    }
    if (reactedBy(reactions[idx], userId)) return [...reactions];
    return reactions.map((r, i) => (i === idx ? { emoji, userIds: [...r.userIds, userId] } : r));
  }
  if (idx < 0 || !reactedBy(reactions[idx], userId)) return [...reactions];
  const left = reactions[idx].userIds.filter((u) => u !== userId);
  return left.length
    ? reactions.map((r, i) => (i === idx ? { emoji, userIds: left } : r))
    : reactions.filter((_, i) => i !== idx);
}

/** "alice, bob and 3 others reacted with 👍": the chip's title, names from the member list. */
export function describeReaction(
  r: Reaction,
  nameOf: (userId: string) => string | undefined,
  myUserId: string,
): string {
  const names = r.userIds.map((u) => (u === myUserId ? 'you' : (nameOf(u) ?? 'someone')));
  const shown = names.slice(0, 5);
  const rest = names.length - shown.length;
  const list =
    rest > 0
      ? `${shown.join(', ')} and ${rest} other${rest === 1 ? '' : 's'}`
      : shown.length > 1
        ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`
        : (shown[0] ?? 'nobody');
  return `${list} reacted with ${r.emoji}`;
}
