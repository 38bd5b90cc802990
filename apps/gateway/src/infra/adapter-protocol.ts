/**
 * The Redis adapters' wire protocols, for the one publisher that is not a socket.io server: the
 * ordered message fan-out (messages/ordered-publisher.ts). Both adapters use the same channel for
 * a one-room broadcast, `<key>#<nsp>#<room>#`; every adapter whose uid differs from the
 * publisher's (all of them) delivers the message to its local sockets in that room.
 * - classic (`createAdapter`): PUBLISH of `[uid, packet, { rooms, except, flags }]`, as
 *   @socket.io/redis-emitter sends it, encoded with adapterParser;
 * - sharded (`createShardedAdapter`, Redis 7 sharded pub/sub): SPUBLISH of the cluster adapter's
 *   message `{ uid, nsp, type: BROADCAST, data: { packet, opts } }`. It takes no parser: it sends
 *   JSON unless the message holds binary (then msgpack), and reads JSON when the first byte is `{`.
 *   In "dynamic" subscription mode a replica subscribes to a room's channel only while it has a
 *   socket in the room, so a room's broadcasts reach only the replicas that hold its members.
 */

/** Which socket.io Redis adapter the gateway runs (SOCKET_ADAPTER). */
export type SocketAdapterKind = 'classic' | 'sharded';

/** Prefix of the socket.io adapter's channels: the classic adapter's `key`, the sharded one's `channelPrefix`. */
export const adapterKey = (prefix: string): string => `${prefix}:gateway:socket.io`;

/**
 * JSON instead of the default msgpack: the gateway never emits binary, and a parser of our own lets
 * the ordered fan-out encode adapter messages without depending on the adapter's internals.
 */
export const adapterParser = {
  encode: (value: unknown): string => JSON.stringify(value),
  decode: (raw: Buffer | string): unknown => JSON.parse(raw.toString()),
};

/** socket.io-parser's EVENT packet type. */
const EVENT = 2;
/** socket.io-adapter's ClusterAdapter message type BROADCAST. */
const BROADCAST = 3;
const NAMESPACE = '/';

export function broadcastChannel(prefix: string, room: string): string {
  return `${adapterKey(prefix)}#${NAMESPACE}#${room}#`;
}

export function encodeBroadcast(publisherUid: string, room: string, event: string, payload: unknown): string {
  return adapterParser.encode([
    publisherUid,
    { type: EVENT, data: [event, payload], nsp: NAMESPACE },
    { rooms: [room], except: [], flags: {} },
  ]);
}

/** The same broadcast in the sharded adapter's format (JSON: the adapter reads it as such). */
export function encodeShardedBroadcast(
  publisherUid: string,
  room: string,
  event: string,
  payload: unknown,
): string {
  return JSON.stringify({
    uid: publisherUid,
    nsp: NAMESPACE,
    type: BROADCAST,
    data: {
      packet: { type: EVENT, data: [event, payload], nsp: NAMESPACE },
      opts: { rooms: [room], except: [], flags: {} },
    },
  });
}

/**
 * A Redis Cluster hash tag that puts a key in the slot of `channel`: a channel name without braces
 * is hashed whole, so `{<channel>}` inside a key hashes the same. A Lua script may touch only keys
 * of one slot, and its SPUBLISH must target that slot too, so the ordering state of a room lives
 * in its channel's slot. Room names and REDIS_PREFIX never hold braces (config.ts checks the prefix).
 */
export function slotTagOf(channel: string): string {
  if (/[{}]/.test(channel)) throw new Error(`channel ${channel} holds a brace: no hash tag can match it`);
  return `{${channel}}`;
}
