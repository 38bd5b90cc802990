/**
 * Room names. Every socket of a user is in `user:<id>`, in `channel:<id>` for each membership, and
 * in `presence:<id>` for each user it follows with `presence:subscribe`.
 *
 * A name is made once per process and shared: the adapter keeps, per socket, the set of its rooms,
 * and a name built anew for each socket (from that socket's own copy of the id) would be a string
 * per socket and room; a socket following 20 users would hold 20 of them.
 */
const names = new Map<string, string>();
/** Distinct names kept at most: past it the table starts over (names made again are only copies). */
const NAMES_MAX = 500_000;

function shared(name: string): string {
  const known = names.get(name);
  if (known !== undefined) return known;
  if (names.size >= NAMES_MAX) names.clear();
  names.set(name, name);
  return name;
}

export const userRoom = (userId: string): string => shared(`user:${userId}`);
export const channelRoom = (channelId: string): string => shared(`channel:${channelId}`);
const PRESENCE_PREFIX = 'presence:';
export const presenceRoom = (userId: string): string => shared(`${PRESENCE_PREFIX}${userId}`);

/** The user ids a socket follows, from its rooms. */
export function presenceSubscriptionsOf(rooms: Iterable<string>): string[] {
  const ids: string[] = [];
  for (const room of rooms)
    if (room.startsWith(PRESENCE_PREFIX)) ids.push(room.slice(PRESENCE_PREFIX.length));
  return ids;
}
