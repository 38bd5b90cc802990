import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createRedis, type RedisClient } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { SocketAdapterKind } from './adapter-protocol';

/**
 * The gateway's Redis connection for shared state (presence leases, typing, message ordering, rate
 * limits), or none in single-process mode, where every user of it has an in-memory equivalent.
 * The socket.io adapter keeps its own publisher and subscriber connections.
 */
@Injectable()
export class GatewayRedis implements OnApplicationShutdown {
  readonly client: RedisClient | null;
  /** Prefix for every key this replica writes, so deployments (and test runs) can share a Redis. */
  readonly prefix: string;
  /** The socket.io adapter the ordered fan-out publishes for (its format and channel slots). */
  readonly socketAdapter: SocketAdapterKind;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    // Fail fast: sends, handshakes and commands must not stall while Redis is away; every user of
    // this client degrades instead (the database is the source of truth). Pipelined: a batch of
    // sends publishes (and clears typing) in one round trip.
    this.client = config.redis.url
      ? createRedis(config.redis.url, 'gateway-state', { failFast: true, autoPipelining: true })
      : null;
    this.prefix = config.redis.prefix;
    this.socketAdapter = config.socket.adapter;
  }

  /** Whether shared state can be reached now (always, in single-process mode). */
  get ready(): boolean {
    return this.client === null || this.client.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    // After the sockets have drained (beforeApplicationShutdown), so their clean-up could still write.
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}
