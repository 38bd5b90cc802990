/**
 * The Redis adapter's wire protocol, for the one publisher that is not a socket.io server: the
 * ordered message fan-out (messages/message-fanout.ts). Same format as @socket.io/redis-emitter:
 * `[uid, packet, { rooms, except, flags }]` on channel `<key>#<nsp>#<room>#`. Every adapter whose uid
 * differs from `uid` (all of them) delivers it to its local sockets in that room.
 */

/** Redis key prefix of the socket.io adapter's channels. */
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
