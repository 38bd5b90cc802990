import { isIP } from 'node:net';
import { bool, cleanEnv, makeValidator, num, port, str, url, type CleanedEnv } from 'envalid';

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
 * A redis:// URL, a redis+cluster://host:port,host:port URL (a Redis Cluster's seed nodes), or empty
 * for the in-process single-replica mode.
 */
export const optionalRedisUrl = makeValidator<string>((input) => {
  const value = String(input ?? '');
  if (value && !/^rediss?(\+cluster)?:\/\//.test(value))
    throw new Error('must be a redis:// or redis+cluster:// URL, or empty');
  return value;
});

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
   * Empty: single process, in-memory fan-out and events. Set it to run several replicas:
   * `redis://host:6379` for one Redis, `redis+cluster://host:port,host:port` for a Redis Cluster.
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
