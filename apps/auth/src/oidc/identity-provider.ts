import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { AUTH_CONFIG, type AuthConfig } from '../config';

type OidcSettings = NonNullable<AuthConfig['oidc']>;

/** Who the provider says signed in: the ID token's issuer and subject, and profile claims. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  /** `preferred_username`, `email`, `email_verified`, as the provider sent them (unchecked). */
  claims: Record<string, unknown>;
}

/** What the callback checks the provider's answer against (stored with the login). */
export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Provider metadata is read again after this long, so key or endpoint changes are picked up. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** Every request to the provider (discovery, token, userinfo, JWKS) gives up after this long. */
const PROVIDER_TIMEOUT_SECONDS = 10;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The OpenID Connect provider, through openid-client: discovery (cached, and retried after a
 * failure), the authorization URL (code flow, PKCE S256, state, nonce) and the code exchange with
 * every check the library makes (state, PKCE, nonce, ID token signature, issuer, audience, expiry).
 */
@Injectable()
export class IdentityProvider {
  private readonly logger = new Logger(IdentityProvider.name);
  private readonly settings: OidcSettings;
  private discovered: { at: number; config: Promise<oidc.Configuration> } | null = null;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    if (!config.oidc)
      throw new Error('IdentityProvider needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
    this.settings = config.oidc;
    this.redirectUri = `${config.publicUrl}/auth/oidc/callback`;
    const issuer = new URL(this.settings.issuer);
    if (issuer.protocol === 'http:' && !LOOPBACK.has(issuer.hostname))
      this.logger.warn(
        `OIDC_ISSUER ${issuer.origin} is plain http: the client secret and tokens cross the network in clear`,
      );
  }

  /** The redirect URI to register at the provider. */
  readonly redirectUri: string;

  newChecks(): LoginChecks {
    return {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
  }

  async authorizationUrl(checks: LoginChecks): Promise<string> {
    const config = await this.configuration();
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.redirectUri,
        scope: this.settings.scopes,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
        state: checks.state,
        nonce: checks.nonce,
      })
      .toString();
  }

  /**
   * Trades the authorization response (the callback's query) for the person's identity. Throws on
   * anything the library refuses; the profile comes from the userinfo endpoint when there is one
   * (providers may keep it out of the ID token), bound to the ID token's subject.
   */
  async identify(callbackQuery: URLSearchParams, checks: LoginChecks): Promise<ProviderIdentity> {
    const config = await this.configuration();
    const currentUrl = new URL(`${this.redirectUri}?${callbackQuery.toString()}`);
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedNonce: checks.nonce,
      expectedState: checks.state,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('no ID token in the token response');
    let claims: Record<string, unknown> = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint)
      claims = { ...claims, ...(await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
    return { issuer: idClaims.iss, subject: idClaims.sub, claims };
  }

  private configuration(): Promise<oidc.Configuration> {
    const now = Date.now();
    if (!this.discovered || now - this.discovered.at > DISCOVERY_TTL_MS) {
      const attempt = this.discover();
      this.discovered = { at: now, config: attempt };
      // A failed discovery is not cached: the next login tries again.
      attempt.catch(() => {
        if (this.discovered?.config === attempt) this.discovered = null;
      });
    }
    return this.discovered.config;
  }

  private discover(): Promise<oidc.Configuration> {
    const issuer = new URL(this.settings.issuer);
    return oidc.discovery(
      issuer,
      this.settings.clientId,
      { redirect_uris: [this.redirectUri], response_types: ['code'] },
      oidc.ClientSecretBasic(this.settings.clientSecret),
      {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        // An http issuer was configured on purpose (a provider on the same host, or a test one).
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      },
    );
  }
}
