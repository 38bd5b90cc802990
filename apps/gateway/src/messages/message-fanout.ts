import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Message, MessageDeletedEvent } from '@chat/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { GatewayRedis } from '../infra/gateway-redis';
import { SocketHub } from '../infra/socket-hub';
import { MessageReader } from './message.reader';
import { MemoryOrderedPublisher, RedisOrderedPublisher, type OrderedPublisher } from './ordered-publisher';

/**
 * Real-time message events, sent only after the change is committed. `message:new` goes through
 * the ordered publisher; if an earlier seq never shows up (its replica died between commit and
 * publish), this replica publishes it from the database after FANOUT_GAP_REPAIR_MS: the database
 * is the source of truth, the bus only a fast path. While Redis is unreachable nothing waits for
 * it: the newest message of each channel is held back and published once Redis is back, and the
 * gate's gap repair publishes what lies before it (clients that missed pushes sync from history).
 */
@Injectable()
export class MessageFanout implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(MessageFanout.name);
  private readonly publisher: OrderedPublisher;
  private readonly repairs = new Set<NodeJS.Timeout>();
  /** Per channel, the newest message not published because Redis was unreachable. */
  private readonly heldBack = new Map<string, Message>();
  /** Publishes under way: a stopping replica lets them finish before it closes Redis. */
  private readonly publishing = new Set<Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly hub: SocketHub,
    private readonly reader: MessageReader,
    private readonly metrics: GatewayMetrics,
    private readonly redis: GatewayRedis,
  ) {
    this.publisher = redis.client
      ? new RedisOrderedPublisher(redis.client, redis.prefix, redis.socketAdapter)
      : new MemoryOrderedPublisher((m) => this.hub.toChannel(m.channelId, 'message:new', m));
    redis.client?.on('ready', () => this.resume());
  }

  /**
   * Publishes a committed message in the background: the sender's acknowledgement does not wait
   * for the publish, nor queue behind this replica writing the message to its own sockets (with a
   * large channel, that is most of a send's latency). Never fails: while Redis is unreachable the
   * message is held back, and a lost push is recovered by the gap repair and `channel:sync`.
   */
  announceNew(message: Message): void {
    const publish = this.publishNew(message).finally(() => this.publishing.delete(publish));
    this.publishing.add(publish);
  }

  private async publishNew(message: Message): Promise<void> {
    if (!this.redis.ready) return this.holdBack(message);
    try {
      let outcome = await this.publisher.publish(message);
      if (outcome === 'unknown') {
        const floor = await this.reader.settledFloor(message.channelId, message.seq);
        outcome = await this.publisher.publish(message, floor);
      }
      if (outcome === 'published' || outcome === 'queued')
        this.metrics.fannedOut.inc({ event: 'message:new' });
      if (outcome === 'queued') this.scheduleRepair(message);
    } catch (err) {
      this.logger.warn({ err, channelId: message.channelId, seq: message.seq }, 'message:new not published');
      if (!this.redis.ready) this.holdBack(message);
    }
  }

  announceDeleted(event: MessageDeletedEvent): void {
    this.hub.toChannel(event.channelId, 'message:deleted', event);
    this.metrics.fannedOut.inc({ event: 'message:deleted' });
  }

  /** Every replica hears bus events (a deleted account's erased messages), so each tells its own sockets. */
  announceDeletedLocally(event: MessageDeletedEvent): void {
    this.hub.toChannelLocal(event.channelId, 'message:deleted', event);
  }

  /** Every replica hears bus events, so each tells only its own sockets. */
  announceUpdatedLocally(message: Message): void {
    this.hub.toChannelLocal(message.channelId, 'message:updated', message);
  }

  /**
   * After the socket server's drain (its module is nearer the root, so its hook runs first) and
   * while Redis is still open: the acknowledged messages' publishes finish.
   */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all(this.publishing);
  }

  onApplicationShutdown(): void {
    for (const t of this.repairs) clearTimeout(t);
    this.repairs.clear();
  }

  private holdBack(message: Message): void {
    const held = this.heldBack.get(message.channelId);
    if (!held || held.seq < message.seq) this.heldBack.set(message.channelId, message);
  }

  /** Redis is back: what was held back goes through the gate, which repairs the gaps before it. */
  private resume(): void {
    const held = [...this.heldBack.values()];
    this.heldBack.clear();
    for (const message of held) this.announceNew(message);
  }

  private scheduleRepair(message: Message): void {
    const { channelId, seq } = message;
    const timer = setTimeout(() => {
      this.repairs.delete(timer);
      this.repair(channelId, seq).catch((err: unknown) => {
        this.logger.warn({ err, channelId, seq }, 'fan-out gap repair failed');
        if (!this.redis.ready) this.holdBack(message);
      });
    }, this.config.fanout.gapRepairMs);
    timer.unref();
    this.repairs.add(timer);
  }

  /** Publishes, from the database, whatever is still missing below `seq`. */
  private async repair(channelId: string, seq: number): Promise<void> {
    const last = await this.publisher.lastPublished(channelId);
    if (last === null || last >= seq - 1) return;
    const missing = await this.reader.range(channelId, last, seq);
    if (missing.length > 0)
      this.logger.warn(`fan-out gap in ${channelId}: publishing seq ${last + 1}..${seq - 1}`);
    for (const message of missing) await this.publisher.publish(message);
  }
}
