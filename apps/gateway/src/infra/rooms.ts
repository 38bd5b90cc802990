/** Room names. Every socket of a user is in `user:<id>`, and in `channel:<id>` for each membership. */
export const userRoom = (userId: string): string => `user:${userId}`;
export const channelRoom = (channelId: string): string => `channel:${channelId}`;

const CHANNEL_PREFIX = 'channel:';

/** The channel ids among a socket's rooms. */
export function channelIdsOf(rooms: Iterable<string>): string[] {
  const ids: string[] = [];
  for (const room of rooms) if (room.startsWith(CHANNEL_PREFIX)) ids.push(room.slice(CHANNEL_PREFIX.length));
  return ids;
}
