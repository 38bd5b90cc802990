import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { APP_DATA_SOURCE, DatabaseModule, databaseProbe } from '@chat/database';
import { HealthController, MetricsController, PlatformModule, READINESS_PROBES } from '@chat/platform';
import { SecurityModule } from '@chat/security';
import { MEDIA_CONFIG, type MediaConfig } from './config';
import { FilesModule } from './files/files.module';
import { StorageModule } from './storage/storage.module';
import { StorageService } from './storage/storage.service';
import { UploadsModule } from './uploads/uploads.module';

/** The validated config, visible to every context module of this app. */
@Module({})
class MediaConfigModule {
  static forRoot(config: MediaConfig): DynamicModule {
    return {
      module: MediaConfigModule,
      global: true,
      providers: [{ provide: MEDIA_CONFIG, useValue: config }],
      exports: [MEDIA_CONFIG],
    };
  }
}

@Module({})
export class MediaAppModule {
  static forRoot(config: MediaConfig): DynamicModule {
    return {
      module: MediaAppModule,
      imports: [
        MediaConfigModule.forRoot(config),
        PlatformModule.forRoot({
          service: 'media',
          logLevel: config.log.level,
          logPretty: config.log.pretty,
          redisUrl: config.redis.url,
          redisPrefix: config.redis.prefix,
        }),
        DatabaseModule.forRoot(config.database, 'media'),
        SecurityModule.forRoot({
          keys: config.jwt.jwksUrl,
          jwksRefreshSeconds: config.jwt.jwksRefreshSeconds,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        }),
        StorageModule,
        UploadsModule,
        FilesModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        {
          provide: READINESS_PROBES,
          useFactory: (db: DataSource, storage: StorageService) => [databaseProbe(db), storage.probe()],
          inject: [APP_DATA_SOURCE, StorageService],
        },
      ],
    };
  }
}
