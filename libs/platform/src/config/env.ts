import { isIP } from 'node:net';
import { bool, cleanEnv, makeValidator, num, port, str, url, type CleanedEnv } from 'envalid';
import { isSentinelUrl, parseSentinelUrl } from '../redis/sentinel-url';

/** A comma-separated list. */
export const list = makeValidator<string[]>((input) =>
  String(input)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A whole number within [min, max]. */
export const intRange = (min: number, max: number) =>
  makeValidator<number>((input) => {
    const value = Number(input);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`must be a whole number from ${min} to ${max}`);
    return value;
  });

/** Named address ranges TRUSTED_PROXIES accepts besides addresses and CIDRs (Express's names). */
export const PROXY_RANGE_NAMES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** An IP address or CIDR (`10.0.0.0/8`, `fd00::/8`), or one of PROXY_RANGE_NAMES. */
export function isProxyRange(value: string): boolean {
  if (value in PROXY_RANGE_NAMES) return true;
  const [addr, bits, ...rest] = value.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** A comma-separated list of proxy addresses/CIDRs/range names; empty trusts no proxy. */
export const proxyList = makeValidator<string[]>((input) => {
  const items = String(input ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !isProxyRange(i));
  if (bad.length)
    throw new Error(
      `not an address, CIDR or one of ${Object.keys(PROXY_RANGE_NAMES).join('/')}: ${bad.join(', ')}`,
    );
  return items;
});

/** A postgres:// URL. */
export const postgresUrl = makeValidator<string>((input) => {
  const value = String(input);
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error('must be a postgres:// URL');
  return value;
});

/**
 * A redis:// URL, a redis+cluster://host:port,host:port URL (a Redis Cluster's seed nodes), a
 * redis+sentinel://host:port,host:port/<masterName> URL (a master and replicas behind Sentinel), or
 * empty for the in-process single-replica mode.
 */
export const optionalRedisUrl = makeValidator<string>((input) => {
  const value = String(input ?? '');
  if (value && !/^rediss?(\+cluster|\+sentinel)?:\/\//.test(value))
    throw new Error('must be a redis://, redis+cluster:// or redis+sentinel:// URL, or empty');
  if (isSentinelUrl(value)) {
    try {
      parseSentinelUrl(value);
    } catch (err) {
      const form = 'redis+sentinel://[user:password@]host:port[,host:port…]/<masterName>';
      throw new Error(`${form}: ${(err as Error).message}`);
    }
  }
  return value;
});

/** A duration: `90s`, `10m`, `1h`, `500ms`, or a bare number of milliseconds. Read as milliseconds. */
export const duration = makeValidator<number>((input) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(input));
  if (!m) throw new Error('must be a duration such as 90s, 10m or 1h');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  const ms = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(ms)) throw new Error('is too long');
  return ms;
});

/** An smtp:// or smtps:// URL (user and password in it), or empty: no email is sent. */
export const optionalSmtpUrl = makeValidator<string>((input) => {
  const value = String(input ?? '');
  if (value && !/^smtps?:\/\/[^/]+/.test(value))
    throw new Error('must be an smtp:// or smtps:// URL, or empty');
  return value;
});

/**
 * An http(s) URL (an origin, optionally with a path), or empty: the feature it configures is off.
 * Trailing slashes are dropped.
 */
export const optionalHttpUrl = makeValidator<string>((input) => {
  const value = String(input ?? '').trim();
  if (!value) return '';
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error('must be an http(s) URL or empty');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be an http(s) URL');
  if (parsed.search || parsed.hash) throw new Error('must not carry a query or fragment');
  return value.replace(/\/+$/, '');
});

/** Settings of the services that send email (auth: address verification; gateway: away digests). */
export const mailEnv = {
  /** Empty: no email is ever sent (verification links are then logged for the operator). */
  SMTP_URL: optionalSmtpUrl({ default: '' }),
  /** The From of every email. */
  MAIL_FROM: str({ default: 'Chat <chat@localhost>' }),
  /** Where people open the web client: the base of every link in an email or a notification. */
  PUBLIC_URL: url({ default: 'http://localhost:8080' }),
};

/** Settings every service shares: where Postgres and Redis are, logging, CORS. */
export const commonEnv = {
  NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
  LOG_LEVEL: str({
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
  }),
  /** Pretty, human-readable logs instead of JSON lines (local mode). */
  LOG_PRETTY: bool({ default: false }),
  DATABASE_URL: postgresUrl({ default: 'postgres://postgres@127.0.0.1:5432/chat' }),
  DATABASE_POOL_SIZE: num({ default: 10 }),
  /**
   * Named prepared statements (libs/database Sql.prepared): planned once per connection. Default
   * true, also behind PgBouncer >= 1.21 in transaction mode with max_prepared_statements > 0. Turn it
   * off only behind a transaction-mode pooler without that support (PgBouncer < 1.21).
   */
  DATABASE_PREPARED_STATEMENTS: bool({ default: true }),
  /**
   * Empty: single process, in-memory fan-out and events. Set it to run several replicas:
   * `redis://host:6379` for one Redis, `redis+cluster://host:port,host:port` for a Redis Cluster,
   * `redis+sentinel://host:26379,host:26379/<masterName>` for a master and replicas behind Sentinel.
   */
  REDIS_URL: optionalRedisUrl({ default: '' }),
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  REDIS_PREFIX: str({ default: 'chat' }),
  /** Browser origins allowed to call the APIs and open sockets. */
  CORS_ORIGINS: list({ default: ['http://localhost:8080', 'http://127.0.0.1:8080'] }),
  /**
   * Proxies allowed to tell the service the client's address (X-Forwarded-For), as addresses,
   * CIDRs or loopback/linklocal/uniquelocal; walked from the nearest hop like nginx's
   * real_ip_recursive. The client address is what rate limits and login throttles count by.
   * Default: the local front door on loopback. Empty: no proxy, the peer is the client.
   */
  TRUSTED_PROXIES: proxyList({ default: ['loopback'] }),
};

/** Settings of the services that verify access tokens (gateway, media). */
export const tokenVerifierEnv = {
  AUTH_JWKS_URL: url({ default: 'http://127.0.0.1:3001/auth/.well-known/jwks.json' }),
  JWT_ISSUER: str({ default: 'chat-auth' }),
  JWT_AUDIENCE: str({ default: 'chat' }),
  /**
   * How often the JWKS is fetched again. A key removed from it (after a compromise) stops
   * verifying within this many seconds on every replica; a token with an unknown kid (a rotation)
   * triggers a fetch at once, at most one per 10 s.
   */
  AUTH_JWKS_REFRESH_SECONDS: intRange(5, 86_400)({ default: 60 }),
};

export { bool, num, port, str, url };

/**
 * Validates `env` against `spec`; on failure throws one error naming every bad variable (envalid
 * would otherwise call process.exit from inside a library).
 */
export function loadEnv<S extends Parameters<typeof cleanEnv>[1]>(
  spec: S,
  env: NodeJS.ProcessEnv,
): CleanedEnv<S> {
  return cleanEnv(env, spec, {
    reporter: ({ errors }) => {
      const bad = Object.entries(errors);
      if (bad.length === 0) return;
      const lines = bad.map(([name, err]) => `  ${name}: ${(err as Error).message}`);
      throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
    },
  });
}
