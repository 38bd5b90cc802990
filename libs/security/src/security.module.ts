import { Module, type DynamicModule } from '@nestjs/common';
import { Authenticator } from './authenticator';
import { JwtAuthGuard, RolesGuard } from './guards';
import { createJwtStrategy } from './jwt.strategy';
import { JwksKeyResolver, type KeyResolver } from './key-resolver';
import { TokenVerifier, type TokenVerifierOptions } from './token-verifier';
import { JWT_STRATEGY, KEY_RESOLVER, SECURITY_OPTIONS } from './tokens';
import { UserStatusService } from './user-status.service';

export interface SecurityOptions extends TokenVerifierOptions {
  /** Where public keys come from: the auth service's JWKS URL, or a resolver (the auth service's own keys). */
  keys: string | KeyResolver;
}

@Module({})
export class SecurityModule {
  static forRoot(opts: SecurityOptions): DynamicModule {
    const resolver = typeof opts.keys === 'string' ? new JwksKeyResolver(opts.keys) : opts.keys;
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
        UserStatusService,
        Authenticator,
        {
          provide: JWT_STRATEGY,
          useFactory: (v: TokenVerifier, a: Authenticator, o: TokenVerifierOptions) =>
            createJwtStrategy(v, a, o),
          inject: [TokenVerifier, Authenticator, SECURITY_OPTIONS],
        },
        JwtAuthGuard,
        RolesGuard,
      ],
      exports: [TokenVerifier, Authenticator, UserStatusService, JwtAuthGuard, RolesGuard, JWT_STRATEGY],
    };
  }
}
