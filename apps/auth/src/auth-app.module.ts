import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { APP_DATA_SOURCE, DatabaseModule, databaseProbe } from '@chat/database';
import { HealthController, MetricsController, PlatformModule, READINESS_PROBES } from '@chat/platform';
import { SecurityModule } from '@chat/security';
import { AccountLifecycleModule } from './account-lifecycle/account-lifecycle.module';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsRepository } from './accounts/accounts.repository';
import { AccountsService } from './accounts/accounts.service';
import { AdminModule } from './admin/admin.module';
import { BotsModule } from './bots/bots.module';
import { AUTH_CONFIG, type AuthConfig } from './config';
import { EmailModule } from './email/email.module';
import { JwksController } from './keys/jwks.controller';
import { KeyStore } from './keys/key-store';
import { OidcModule } from './oidc/oidc.module';
import { ModerationController } from './moderation/moderation.controller';
import { ModerationRepository } from './moderation/moderation.repository';
import { ModerationService } from './moderation/moderation.service';
import { SessionsModule } from './sessions/sessions.module';
import { SettingsModule } from './settings/settings.module';
import { TwoFactorModule } from './two-factor/two-factor.module';

@Module({})
export class AuthAppModule {
  static forRoot(config: AuthConfig): DynamicModule {
    const keys = KeyStore.load(config.jwt);
    return {
      module: AuthAppModule,
      imports: [
        PlatformModule.forRoot({
          service: 'auth',
          logLevel: config.log.level,
          logPretty: config.log.pretty,
          redisUrl: config.redis.url,
          redisPrefix: config.redis.prefix,
        }),
        DatabaseModule.forRoot(config.database, 'auth'),
        // The auth service verifies its own tokens with its own keys, no HTTP round trip.
        SecurityModule.forRoot({ keys, issuer: config.jwt.issuer, audience: config.jwt.audience }),
        SessionsModule.forRoot(config, keys),
        BotsModule,
        EmailModule.forRoot(config),
        SettingsModule.forRoot(config),
        AdminModule.forRoot(config),
        AccountLifecycleModule.forRoot(config),
        OidcModule.forRoot(config),
        TwoFactorModule.forRoot(config),
      ],
      controllers: [
        AccountsController,
        ModerationController,
        JwksController,
        HealthController,
        MetricsController,
      ],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: KeyStore, useValue: keys },
        AccountsRepository,
        ModerationRepository,
        AccountsService,
        ModerationService,
        {
          provide: READINESS_PROBES,
          useFactory: (db: DataSource) => [databaseProbe(db)],
          inject: [APP_DATA_SOURCE],
        },
      ],
    };
  }
}
