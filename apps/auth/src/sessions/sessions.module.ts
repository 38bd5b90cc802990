import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoginThrottle } from '../accounts/login-throttle';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { KeyStore } from '../keys/key-store';
import { AuthMetrics } from '../observability/auth-metrics';
import { SessionCleanup } from './session-cleanup';
import { SessionsRepository } from './sessions.repository';
import { TokensService } from './tokens.service';

/**
 * Sessions and what every way of signing in shares: issuing tokens (password, OIDC, refresh), the
 * failed-login throttle and the security counters. Global, with one instance of each: a second
 * throttle would count failures apart, a second AuthMetrics would register its series twice.
 */
@Global()
@Module({})
export class SessionsModule {
  static forRoot(config: AuthConfig, keys: KeyStore): DynamicModule {
    return {
      module: SessionsModule,
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: KeyStore, useValue: keys },
        AuthMetrics,
        SessionsRepository,
        TokensService,
        SessionCleanup,
        LoginThrottle,
      ],
      exports: [TokensService, LoginThrottle, AuthMetrics],
    };
  }
}
