import { commonEnv, intRange, loadEnv, num, port, str } from '@chat/platform';

/** Every setting of the auth service, validated at boot (see README "Configuration"). */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
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
    },
    env,
  );
  return {
    nodeEnv: e.NODE_ENV,
    port: e.AUTH_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
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
    sessions: {
      cleanup: {
        intervalSeconds: e.SESSION_CLEANUP_INTERVAL_SECONDS,
        batchSize: e.SESSION_CLEANUP_BATCH_SIZE,
      },
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
