import type { RedisClient } from '@chat/platform';
import type { Message } from '@chat/contracts';
import {
  broadcastChannel,
  encodeBroadcast,
  encodeShardedBroadcast,
  slotTagOf,
  type SocketAdapterKind,
} from '../infra/adapter-protocol';
import { RedisScript } from '../infra/redis-script';
import { channelRoom } from '../infra/rooms';

/**
 * What happened to a `message:new` handed to the publisher:
 * - `published`: it (and any later ones that were waiting for it) went out;
 * - `queued`: an earlier seq of the channel has not been published yet, so it waits for it;
 * - `stale`: its seq was already published (a gap repair got there first): nothing was sent again;
 * - `unknown`: the channel has no ordering state yet; call again with a `floor`.
 */
export type PublishOutcome = 'published' | 'queued' | 'stale' | 'unknown';

/**
 * Publishes `message:new` per channel in strict seq order, whichever replica committed each one.
 * Commits are serialized by the channel row lock, but the publishes after them race; this gate
 * makes every client receive a channel's messages in seq order.
 */
export interface OrderedPublisher {
  /**
   * `floor` is only needed after an `unknown`: the seq up to which the channel counts as
   * published (see MessageReader.settledFloor).
   */
  publish(message: Message, floor?: number): Promise<PublishOutcome>;
  /** Highest seq published for the channel, or null when it has no state. */
  lastPublished(channelId: string): Promise<number | null>;
}

/** Single-process mode: the gate is a map; emits go to the local socket.io server. */
export class MemoryOrderedPublisher implements OrderedPublisher {
  private readonly channels = new Map<string, { last: number; waiting: Map<number, Message> }>();

  constructor(private readonly emit: (message: Message) => void) {}

  publish(message: Message, floor?: number): Promise<PublishOutcome> {
    let state = this.channels.get(message.channelId);
    if (!state) {
      if (floor === undefined) return Promise.resolve('unknown');
      state = { last: floor, waiting: new Map() };
      this.channels.set(message.channelId, state);
    }
    if (message.seq <= state.last) return Promise.resolve('stale');
    if (message.seq > state.last + 1) {
      state.waiting.set(message.seq, message);
      return Promise.resolve('queued');
    }
    this.emit(message);
    state.last = message.seq;
    for (let next = state.waiting.get(state.last + 1); next; next = state.waiting.get(state.last + 1)) {
      state.waiting.delete(next.seq);
      this.emit(next);
      state.last = next.seq;
    }
    return Promise.resolve('published');
  }

  lastPublished(channelId: string): Promise<number | null> {
    return Promise.resolve(this.channels.get(channelId)?.last ?? null);
  }
}

// KEYS[1] last published seq, KEYS[2] waiting messages (seq → encoded broadcast).
// ARGV[1] seq, ARGV[2] encoded broadcast, ARGV[3] adapter channel, ARGV[4] waiting TTL (s),
// ARGV[5] floor or "" when the caller has none, ARGV[6] PUBLISH (classic adapter) or SPUBLISH (sharded).
// Returns 1 published, 0 queued, -1 stale, -2 unknown. Atomic, so replicas cannot interleave.
const PUBLISH_IN_ORDER = new RedisScript(`
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]))
if last == nil then
  if ARGV[5] == '' then return -2 end
  last = tonumber(ARGV[5])
  redis.call('SET', KEYS[1], last)
end
if seq <= last then return -1 end
if seq > last + 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  return 0
end
redis.call(ARGV[6], ARGV[3], ARGV[2])
last = seq
while true do
  local nxt = tostring(last + 1)
  local waiting = redis.call('HGET', KEYS[2], nxt)
  if not waiting then break end
  redis.call(ARGV[6], ARGV[3], waiting)
  redis.call('HDEL', KEYS[2], nxt)
  last = last + 1
end
redis.call('SET', KEYS[1], last)
return 1`);

/** Waiting messages are published within FANOUT_GAP_REPAIR_MS; this only bounds leftovers. */
const WAITING_TTL_SECONDS = 600;
/** The uid adapters see as the sender: not any adapter's, so every replica (this one too) delivers it. */
const PUBLISHER_UID = 'ordered-fanout';

/**
 * Several replicas: the gate is a Lua script, and it publishes straight onto the socket.io Redis
 * adapter's channel for the room. Every replica, the sender included, delivers from its adapter
 * subscription, so all of them see one order: the order Redis ran the scripts in, which is seq
 * order. The per-channel state is one small key without expiry, so "no state" means "new channel"
 * (or lost Redis data), which the floor resolves.
 */
export class RedisOrderedPublisher implements OrderedPublisher {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly adapter: SocketAdapterKind = 'classic',
  ) {}

  /**
   * Sharded: the keys carry the room channel's hash tag, so on a Redis Cluster the script runs on
   * the node that owns the channel and may SPUBLISH to it. Classic: PUBLISH reaches every node of
   * a cluster, so the keys only need one slot between them.
   */
  private keys(channelId: string): string[] {
    const tag =
      this.adapter === 'sharded'
        ? slotTagOf(broadcastChannel(this.prefix, channelRoom(channelId)))
        : `{${channelId}}`;
    const base = `${this.prefix}:gateway:fanout:${tag}`;
    return [`${base}:last`, `${base}:waiting`];
  }

  async publish(message: Message, floor?: number): Promise<PublishOutcome> {
    const room = channelRoom(message.channelId);
    const result = await PUBLISH_IN_ORDER.run(this.redis, this.keys(message.channelId), [
      message.seq,
      this.adapter === 'sharded'
        ? encodeShardedBroadcast(PUBLISHER_UID, room, 'message:new', message)
        : encodeBroadcast(PUBLISHER_UID, room, 'message:new', message),
      broadcastChannel(this.prefix, room),
      WAITING_TTL_SECONDS,
      floor === undefined ? '' : floor,
      this.adapter === 'sharded' ? 'SPUBLISH' : 'PUBLISH',
    ]);
    const outcomes: Record<number, PublishOutcome> = {
      1: 'published',
      0: 'queued',
      [-1]: 'stale',
      [-2]: 'unknown',
    };
    return outcomes[Number(result)] ?? 'stale';
  }

  async lastPublished(channelId: string): Promise<number | null> {
    const value = await this.redis.get(this.keys(channelId)[0]);
    return value === null ? null : Number(value);
  }
}
