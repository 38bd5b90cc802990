import { Injectable } from '@nestjs/common';
import type { ServerToClientEvents } from '@chat/contracts';
import {
  broadcastChannel,
  encodeBroadcast,
  encodeShardedBroadcast,
  slotTagOf,
} from '../infra/adapter-protocol';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { GatewayRedis } from '../infra/gateway-redis';
import { RedisScript } from '../infra/redis-script';
import { channelRoom } from '../infra/rooms';
import { SocketHub } from '../infra/socket-hub';

// KEYS[1] the highest version published for the (message, event). ARGV[1] this push's version,
// ARGV[2] encoded broadcast, ARGV[3] adapter channel, ARGV[4] TTL (s), ARGV[5] PUBLISH or SPUBLISH.
// Returns 1 published, 0 stale (a push of a newer version went out already). Atomic: the check
// and the publish cannot interleave with another replica's.
const PUBLISH_IF_NOT_OLDER = new RedisScript(`
local last = tonumber(redis.call('GET', KEYS[1]))
if last ~= nil and tonumber(ARGV[1]) < last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call(ARGV[5], ARGV[3], ARGV[2])
return 1`);

/** A late push arrives within milliseconds; the state only has to outlive that. */
const STATE_TTL_SECONDS = 3600;
/** Gates remembered in single-process mode (the oldest are forgotten past this). */
const MEMORY_GATES_MAX = 10_000;
const PUBLISHER_UID = 'message-gate';

type GatedEvent = 'message:updated' | 'message:reactions';

/**
 * Pushes the state of one message, read after a commit, so that no socket ever sees an older state
 * after a newer one. Two commits on two replicas read back and publish in a race; each push names
 * its version (a number that grows with every change: a root's replyCount, the time of a reaction
 * change taken under the message's row lock) and goes through a per-(message, event) gate — a Lua
 * script in Redis, a map in single-process mode — that drops a push older than one already sent.
 */
@Injectable()
export class MessageGate {
  private readonly published = new Map<string, number>();

  constructor(
    private readonly redis: GatewayRedis,
    private readonly hub: SocketHub,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Whether the push went out (false: a newer version of it went out before). */
  async publish<E extends GatedEvent>(
    channelId: string,
    messageId: string,
    version: number,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ): Promise<boolean> {
    const [payload] = args;
    const gate = `${event}:${messageId}`;
    const client = this.redis.client;
    if (!client) {
      const last = this.published.get(gate);
      if (last !== undefined && version < last) return false;
      this.remember(gate, version);
      this.hub.toChannel(channelId, event, ...args);
      this.metrics.fannedOut.inc({ event });
      return true;
    }
    // Redis away: push ungated rather than not at all (clients converge with channel:sync).
    if (!this.redis.ready) {
      this.hub.toChannel(channelId, event, ...args);
      this.metrics.fannedOut.inc({ event });
      return true;
    }
    const room = channelRoom(channelId);
    const channel = broadcastChannel(this.redis.prefix, room);
    const sharded = this.redis.socketAdapter === 'sharded';
    // Sharded: the key lives in the room channel's slot, where the script may SPUBLISH.
    const key = `${this.redis.prefix}:gateway:gate:${sharded ? slotTagOf(channel) : `{${messageId}}`}:${gate}`;
    const sent = await PUBLISH_IF_NOT_OLDER.run(
      client,
      [key],
      [
        version,
        sharded
          ? encodeShardedBroadcast(PUBLISHER_UID, room, event, payload)
          : encodeBroadcast(PUBLISHER_UID, room, event, payload),
        channel,
        STATE_TTL_SECONDS,
        sharded ? 'SPUBLISH' : 'PUBLISH',
      ],
    );
    if (Number(sent) !== 1) return false;
    this.metrics.fannedOut.inc({ event });
    return true;
  }

  private remember(gate: string, version: number): void {
    this.published.delete(gate);
    this.published.set(gate, version);
    if (this.published.size > MEMORY_GATES_MAX) {
      const oldest = this.published.keys().next().value as string;
      this.published.delete(oldest);
    }
  }
}
