import {
  commonEnv,
  intRange,
  loadEnv,
  mailEnv,
  num,
  optionalHttpUrl,
  port,
  str,
} from '@chat/platform/config/env';
import { tracingConfig, tracingEnv } from '@chat/platform/observability/tracing';

/** Every setting of the auth service, validated at boot (see README "Configuration"). */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
      ...tracingEnv,
      ...mailEnv,
      AUTH_PORT: port({ default: 3001, desc: 'HTTP port of the auth service' }),
      DATA_DIR: str({ default: './data', desc: 'Local state (generated signing keys in local mode)' }),
      JWT_ISSUER: str({ default: 'chat-auth' }),
      JWT_AUDIENCE: str({ default: 'chat' }),
      /** PEM of the current EC P-256 signing key. Empty: generated once and kept in JWT_KEYS_DIR. */
      JWT_PRIVATE_KEY: str({ default: '' }),
      /** PEM public keys of earlier signing keys, still served in the JWKS so a rotation logs no one out. */
      JWT_PREVIOUS_PUBLIC_KEYS: str({ default: '' }),
      /** Where generated keys live when JWT_PRIVATE_KEY is empty (default: DATA_DIR/keys). */
      JWT_KEYS_DIR: str({ default: '' }),
      ACCESS_TOKEN_TTL_SECONDS: num({ default: 15 * 60 }),
      REFRESH_TOKEN_TTL_SECONDS: num({ default: 30 * 24 * 3600 }),
      /** When both are set, start-up ensures this admin account exists. */
      ADMIN_USERNAME: str({ default: '' }),
      ADMIN_PASSWORD: str({ default: '' }),
      /** Failed logins per username, and per client address, within LOGIN_WINDOW_SECONDS before 429. */
      LOGIN_MAX_FAILURES_PER_USER: num({ default: 5 }),
      LOGIN_MAX_FAILURES_PER_IP: num({ default: 30 }),
      LOGIN_WINDOW_SECONDS: num({ default: 15 * 60 }),
      /** Registrations per client address per hour. */
      REGISTER_MAX_PER_IP_PER_HOUR: num({ default: 50 }),
      /** How often expired refresh tokens and ended sessions are deleted (one replica at a time). */
      SESSION_CLEANUP_INTERVAL_SECONDS: intRange(10, 7 * 24 * 3600)({ default: 3600 }),
      /** Rows per clean-up batch: each batch is one short transaction. */
      SESSION_CLEANUP_BATCH_SIZE: intRange(1, 100_000)({ default: 1000 }),
      /** Audit log entries older than this many days are deleted (hourly, one replica at a time). */
      AUDIT_RETENTION_DAYS: intRange(1, 36_500)({ default: 365 }),
      /** OpenID Connect single sign-on: all three set turns it on (the provider's issuer URL). */
      OIDC_ISSUER: optionalHttpUrl({ default: '' }),
      OIDC_CLIENT_ID: str({ default: '' }),
      OIDC_CLIENT_SECRET: str({ default: '' }),
      /** The login button's label. */
      OIDC_DISPLAY_NAME: str({ default: 'Single sign-on' }),
      OIDC_SCOPES: str({ default: 'openid profile email' }),
      /** The issuer name authenticator apps show next to TOTP codes. */
      TOTP_ISSUER: str({ default: 'Chat' }),
      /**
       * Whether a person deleting their account (DELETE /auth/me) may choose to delete their
       * messages too: `allowed`, or `never` (messages always stay, as "deleted user").
       */
      ACCOUNT_ERASE_MESSAGES: str({ default: 'allowed', choices: ['allowed', 'never'] }),
      /**
       * How often each replica looks for erasures of messages another replica left part-way (its
       * last batch more than 2 minutes old) and finishes them.
       */
      ACCOUNT_ERASURE_SWEEP_SECONDS: intRange(1, 3600)({ default: 60 }),
    },
    env,
  );
  const oidcParts = {
    OIDC_ISSUER: e.OIDC_ISSUER,
    OIDC_CLIENT_ID: e.OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET: e.OIDC_CLIENT_SECRET,
  };
  const missing = Object.entries(oidcParts)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0 && missing.length < 3)
    throw new Error(
      `Invalid configuration:\n  ${missing.join(', ')}: needed too, as OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET turn single sign-on on together`,
    );
  return {
    nodeEnv: e.NODE_ENV,
    port: e.AUTH_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    tracing: tracingConfig(e),
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    corsOrigins: e.CORS_ORIGINS,
    trustedProxies: e.TRUSTED_PROXIES,
    jwt: {
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      privateKey: e.JWT_PRIVATE_KEY,
      previousPublicKeys: e.JWT_PREVIOUS_PUBLIC_KEYS,
      keysDir: e.JWT_KEYS_DIR || `${e.DATA_DIR.replace(/\/$/, '')}/keys`,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    },
    admin: { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD },
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    sessions: {
      cleanup: {
        intervalSeconds: e.SESSION_CLEANUP_INTERVAL_SECONDS,
        batchSize: e.SESSION_CLEANUP_BATCH_SIZE,
      },
    },
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS },
    oidc:
      e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
        ? {
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: e.OIDC_CLIENT_SECRET,
            displayName: e.OIDC_DISPLAY_NAME,
            scopes: e.OIDC_SCOPES,
          }
        : null,
    totp: { issuer: e.TOTP_ISSUER },
    accountDeletion: {
      eraseMessages: e.ACCOUNT_ERASE_MESSAGES,
      erasureSweepSeconds: e.ACCOUNT_ERASURE_SWEEP_SECONDS,
    },
    throttle: {
      maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
      registerPerIpPerHour: e.REGISTER_MAX_PER_IP_PER_HOUR,
    },
  };
}

export type AuthConfig = ReturnType<typeof loadAuthConfig>;
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
