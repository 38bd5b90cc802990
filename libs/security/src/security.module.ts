import { Inject, Injectable, Logger, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { AuditRepository } from './audit/audit.repository';
import { Authenticator } from './authenticator';
import { BotTokenRepository } from './bot-token.repository';
import { BotTokens } from './bot-tokens.service';
import { JwtAuthGuard, RolesGuard } from './guards';
import { createJwtStrategy } from './jwt.strategy';
import { JwksKeyResolver, type KeyResolver } from './key-resolver';
import { TokenVerifier, type TokenVerifierOptions } from './token-verifier';
import { JWT_STRATEGY, KEY_RESOLVER, SECURITY_OPTIONS } from './tokens';
import { UserStatusRepository } from './user-status.repository';
import { UserStatusService } from './user-status.service';

export interface SecurityOptions extends TokenVerifierOptions {
  /** Where public keys come from: the auth service's JWKS URL, or a resolver (the auth service's own keys). */
  keys: string | KeyResolver;
  /** With a JWKS URL: how often it is fetched again (a removed key stops verifying within this). */
  jwksRefreshSeconds?: number;
}

/** Stops the JWKS refresh timer with the app. */
@Injectable()
class KeyResolverLifecycle implements OnModuleDestroy {
  constructor(@Inject(KEY_RESOLVER) private readonly resolver: KeyResolver) {}
  onModuleDestroy(): void {
    if (this.resolver instanceof JwksKeyResolver) this.resolver.stop();
  }
}

@Module({})
export class SecurityModule {
  static forRoot(opts: SecurityOptions): DynamicModule {
    const resolver =
      typeof opts.keys === 'string'
        ? new JwksKeyResolver(opts.keys, {
            refreshSeconds: opts.jwksRefreshSeconds ?? 60,
            warn: (m) => new Logger('Jwks').warn(m),
          })
        : opts.keys;
    return {
      module: SecurityModule,
      global: true,
      providers: [
        { provide: SECURITY_OPTIONS, useValue: { issuer: opts.issuer, audience: opts.audience } },
        { provide: KEY_RESOLVER, useValue: resolver },
        {
          provide: TokenVerifier,
          useFactory: (keys: KeyResolver, o: TokenVerifierOptions) => new TokenVerifier(keys, o),
          inject: [KEY_RESOLVER, SECURITY_OPTIONS],
        },
        KeyResolverLifecycle,
        UserStatusRepository,
        UserStatusService,
        BotTokenRepository,
        BotTokens,
        Authenticator,
        {
          provide: JWT_STRATEGY,
          useFactory: (v: TokenVerifier, a: Authenticator, o: TokenVerifierOptions) =>
            createJwtStrategy(v, a, o),
          inject: [TokenVerifier, Authenticator, SECURITY_OPTIONS],
        },
        JwtAuthGuard,
        RolesGuard,
        AuditRepository,
      ],
      exports: [
        TokenVerifier,
        Authenticator,
        UserStatusService,
        JwtAuthGuard,
        RolesGuard,
        JWT_STRATEGY,
        AuditRepository,
      ],
    };
  }
}
