/**
 * REDIS_URL for a Redis behind Sentinel. Kept apart from the client factory (no ioredis import), so
 * the configuration can validate it at boot.
 */

const SENTINEL_URL = /^(rediss?)\+sentinel:\/\//;

/** Sentinel's default port, used for a sentinel given without one. */
export const SENTINEL_DEFAULT_PORT = 26_379;

/** Whether `url` names a Redis behind Sentinel (`redis+sentinel://` or `rediss+sentinel://`). */
export function isSentinelUrl(url: string): boolean {
  return SENTINEL_URL.test(url);
}

export interface SentinelAddress {
  /** The sentinels to ask for the master's address (any one that answers is enough). */
  sentinels: { host: string; port: number }[];
  /** The master's name in the sentinels' configuration (`sentinel monitor <name> …`). */
  masterName: string;
  /** Credentials of the data nodes (master and replicas). */
  username?: string;
  password?: string;
  /** Credentials of the sentinels themselves (`requirepass` in sentinel.conf), if they have any. */
  sentinelUsername?: string;
  sentinelPassword?: string;
  db: number;
  /** TLS to the sentinels and to the master. */
  tls: boolean;
}

const QUERY_KEYS = new Set(['db', 'sentinelUsername', 'sentinelPassword']);

/**
 * `redis+sentinel://[user:password@]host[:port][,host[:port]…]/<masterName>[?db=0&sentinelPassword=…]`:
 * the sentinels watching a master/replica set, and the master's name. The client asks a sentinel
 * where the master is, connects there, and asks again after every disconnect, so a failover needs
 * no configuration change. A sentinel without a port is on 26379. The credentials before `@` are
 * the data nodes'; the sentinels' own go in the query (`sentinelUsername`, `sentinelPassword`),
 * since they usually differ. `rediss+sentinel://` for TLS to both. One URL rather than separate
 * variables, so every service that takes REDIS_URL works unchanged against Sentinel.
 */
export function parseSentinelUrl(url: string): SentinelAddress {
  const scheme = SENTINEL_URL.exec(url);
  if (!scheme) throw new Error('not a redis+sentinel:// URL');
  let rest = url.slice(scheme[0].length);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  const slash = rest.indexOf('/');
  if (slash < 0) throw new Error('names no master: add /<masterName> after the sentinels');
  const masterName = decodeComponent(rest.slice(slash + 1), 'master name');
  rest = rest.slice(0, slash);
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(masterName))
    throw new Error(`not a master name (letters, digits, . _ -): "${masterName}"`);

  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const credentials = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = credentials.indexOf(':');
    username = decodeComponent(colon >= 0 ? credentials.slice(0, colon) : credentials, 'user') || undefined;
    if (colon >= 0) password = decodeComponent(credentials.slice(colon + 1), 'password') || undefined;
  }
  const sentinels = rest.split(',').map((hostPort) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/?#@,]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
    const port = match?.[2] === undefined ? SENTINEL_DEFAULT_PORT : Number(match[2]);
    if (!match || port < 1 || port > 65_535) throw new Error(`not a sentinel host[:port]: "${hostPort}"`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });

  const params = new URLSearchParams(query);
  for (const key of params.keys())
    if (!QUERY_KEYS.has(key))
      throw new Error(`unknown option "${key}" (takes ${[...QUERY_KEYS].join(', ')})`);
  const dbText = params.get('db') ?? '0';
  if (!/^\d{1,5}$/.test(dbText)) throw new Error(`db must be a whole number: "${dbText}"`);
  return {
    sentinels,
    masterName,
    username,
    password,
    sentinelUsername: params.get('sentinelUsername') || undefined,
    sentinelPassword: params.get('sentinelPassword') || undefined,
    db: Number(dbText),
    tls: scheme[1] === 'rediss',
  };
}

function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`the ${what} is not percent-encoded properly`);
  }
}
