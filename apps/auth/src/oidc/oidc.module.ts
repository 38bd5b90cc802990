import { Module, type DynamicModule } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { IdentityProvider } from './identity-provider';
import { OidcController } from './oidc.controller';
import { OidcRepository } from './oidc.repository';
import { OidcService } from './oidc.service';

/**
 * OpenID Connect single sign-on (issue #19). Without OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET
 * nothing is registered, so `/auth/oidc/*` answers 404 like any unknown route.
 */
@Module({})
export class OidcModule {
  static forRoot(config: AuthConfig): DynamicModule {
    if (!config.oidc) return { module: OidcModule };
    return {
      module: OidcModule,
      controllers: [OidcController],
      providers: [{ provide: AUTH_CONFIG, useValue: config }, IdentityProvider, OidcRepository, OidcService],
      exports: [OidcService],
    };
  }
}
