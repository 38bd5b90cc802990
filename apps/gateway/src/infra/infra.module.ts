import { Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';
import { GatewayRedis } from './gateway-redis';
import { SocketHub } from './socket-hub';

/** What every context of the gateway shares: the Redis connection, the socket hub, metrics. */
@Module({
  providers: [GatewayRedis, SocketHub, GatewayMetrics],
  exports: [GatewayRedis, SocketHub, GatewayMetrics],
})
export class InfraModule {}
