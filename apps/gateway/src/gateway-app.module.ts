import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { APP_DATA_SOURCE, DatabaseModule, databaseProbe } from '@chat/database';
import {
  HealthController,
  MetricsController,
  PlatformModule,
  READINESS_PROBES,
  type ReadinessProbe,
} from '@chat/platform';
import { SecurityModule } from '@chat/security';
import { ChannelsModule } from './channels/channels.module';
import type { GatewayConfig } from './config';
import { GatewayConfigModule } from './config.module';
import { InfraModule } from './infra/infra.module';
import { MessagesModule } from './messages/messages.module';
import { RealtimeModule } from './realtime/realtime.module';
import { UsersModule } from './users/users.module';
import { OutgoingWebhooksModule } from './webhooks/outgoing/outgoing-webhooks.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class GatewayAppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        PlatformModule.forRoot({
          service: 'gateway',
          logLevel: config.log.level,
          logPretty: config.log.pretty,
          redisUrl: config.redis.url,
          redisPrefix: config.redis.prefix,
        }),
        DatabaseModule.forRoot(config.database, 'gateway'),
        SecurityModule.forRoot({
          keys: config.jwt.jwksUrl,
          jwksRefreshSeconds: config.jwt.jwksRefreshSeconds,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        }),
        InfraModule,
        ChannelsModule,
        MessagesModule,
        UsersModule,
        WebhooksModule,
        OutgoingWebhooksModule,
        RealtimeModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        {
          // Redis and the event bus are reported by HealthController for every app: the gateway
          // degrades without Redis, so it does not decide readiness here.
          provide: READINESS_PROBES,
          useFactory: (db: DataSource): ReadinessProbe[] => [databaseProbe(db)],
          inject: [APP_DATA_SOURCE],
        },
      ],
    };
  }
}
