import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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
 * is the source of truth, the bus only a fast path.
 */
@Injectable()
export class MessageFanout implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageFanout.name);
  private readonly publisher: OrderedPublisher;
  private readonly repairs = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly hub: SocketHub,
    private readonly reader: MessageReader,
    private readonly metrics: GatewayMetrics,
    redis: GatewayRedis,
  ) {
    this.publisher = redis.client
      ? new RedisOrderedPublisher(redis.client, redis.prefix)
      : new MemoryOrderedPublisher((m) => this.hub.toChannel(m.channelId, 'message:new', m));
  }

  /** Never throws: the message is committed, and a lost push is recovered by `channel:sync`. */
  async announceNew(message: Message): Promise<void> {
    try {
      let outcome = await this.publisher.publish(message);
      if (outcome === 'unknown') {
        const floor = await this.reader.settledFloor(message.channelId, message.seq);
        outcome = await this.publisher.publish(message, floor);
      }
      if (outcome === 'published' || outcome === 'queued')
        this.metrics.fannedOut.inc({ event: 'message:new' });
      if (outcome === 'queued') this.scheduleRepair(message.channelId, message.seq);
    } catch (err) {
      this.logger.warn({ err, channelId: message.channelId, seq: message.seq }, 'message:new not published');
    }
  }

  announceUpdated(message: Message): void {
    this.hub.toChannel(message.channelId, 'message:updated', message);
    this.metrics.fannedOut.inc({ event: 'message:updated' });
  }

  announceDeleted(event: MessageDeletedEvent): void {
    this.hub.toChannel(event.channelId, 'message:deleted', event);
    this.metrics.fannedOut.inc({ event: 'message:deleted' });
  }

  /** Every replica hears bus events, so each tells only its own sockets. */
  announceUpdatedLocally(message: Message): void {
    this.hub.toChannelLocal(message.channelId, 'message:updated', message);
  }

  onApplicationShutdown(): void {
    for (const t of this.repairs) clearTimeout(t);
    this.repairs.clear();
  }

  private scheduleRepair(channelId: string, seq: number): void {
    const timer = setTimeout(() => {
      this.repairs.delete(timer);
      this.repair(channelId, seq).catch((err: unknown) =>
        this.logger.warn({ err, channelId, seq }, 'fan-out gap repair failed'),
      );
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
