/**
 * Room names. Every socket of a user is in `user:<id>`, in `channel:<id>` for each membership, and
 * in `presence:<id>` for each user it follows with `presence:subscribe`.
 */
export const userRoom = (userId: string): string => `user:${userId}`;
export const channelRoom = (channelId: string): string => `channel:${channelId}`;
const PRESENCE_PREFIX = 'presence:';
export const presenceRoom = (userId: string): string => `${PRESENCE_PREFIX}${userId}`;

/** The user ids a socket follows, from its rooms. */
export function presenceSubscriptionsOf(rooms: Iterable<string>): string[] {
  const ids: string[] = [];
  for (const room of rooms)
    if (room.startsWith(PRESENCE_PREFIX)) ids.push(room.slice(PRESENCE_PREFIX.length));
  return ids;
}
