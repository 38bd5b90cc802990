import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DatabaseModule, databaseProbe } from '@chat/database';
import { HealthController, MetricsController, PlatformModule, READINESS_PROBES } from '@chat/platform';
import { SecurityModule } from '@chat/security';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';

@Module({})
export class GatewayAppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [
        PlatformModule.forRoot({
          service: 'gateway',
          logLevel: config.log.level,
          logPretty: config.log.pretty,
          redisUrl: config.redis.url,
          redisPrefix: config.redis.prefix,
        }),
        DatabaseModule.forRoot(config.database),
        SecurityModule.forRoot({
          keys: config.jwt.jwksUrl,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        {
          provide: READINESS_PROBES,
          useFactory: (db: DataSource) => [databaseProbe(db)],
          inject: [getDataSourceToken()],
        },
      ],
    };
  }
}
