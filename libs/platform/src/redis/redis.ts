import { Logger } from '@nestjs/common';
import Redis, { Cluster, type ClusterNode, type Command } from 'ioredis';
import { isSentinelUrl, parseSentinelUrl } from './sentinel-url';

export * from './sentinel-url';

const logger = new Logger('Redis');

export interface RedisClientOptions {
  /**
   * Once the client has connected, a command issued while Redis is unreachable fails at once
   * instead of waiting in the offline queue for a reconnect. Default false. For clients whose
   * callers answer users (they must degrade, not stall); commands issued before the first
   * connection still wait for it, so start-up does not race the connection.
   */
  failFast?: boolean;
  /**
   * Commands issued in the same event-loop turn go out as one pipeline (one write, one read)
   * instead of one write each. Default false. For busy clients that issue many small commands.
   */
  autoPipelining?: boolean;
  /**
   * Whether ioredis restores a subscriber's channels after a reconnect. Default true. Off for a
   * client whose owner restores and verifies its subscriptions itself (the event bus).
   */
  autoResubscribe?: boolean;
  /**
   * Cluster only: one subscriber connection per master for sharded pub/sub (SSUBSCRIBE), so each
   * shard channel is read from the node that owns its slot. Default false. For the sharded
   * socket.io adapter's subscriber.
   */
  shardedSubscribers?: boolean;
}

/** A standalone Redis or a Redis Cluster (ioredis `Cluster`): the same commands, routed by key. */
export type RedisClient = Redis | Cluster;

const CLUSTER_URL = /^(rediss?)\+cluster:\/\//;

/** Whether `url` names a Redis Cluster (`redis+cluster://` or `rediss+cluster://`). */
export function isClusterUrl(url: string): boolean {
  return CLUSTER_URL.test(url);
}

export interface ClusterAddress {
  nodes: ClusterNode[];
  username?: string;
  password?: string;
  tls: boolean;
}

/**
 * `redis+cluster://[user:password@]host:port[,host:port…]`: the seed nodes of a Redis Cluster (any
 * few masters or replicas; the client discovers the rest with CLUSTER SLOTS). `rediss+cluster://`
 * for TLS. One URL rather than a separate variable, so every service that takes REDIS_URL (and the
 * empty value's meaning, single-process mode) works unchanged against a cluster.
 */
export function parseClusterUrl(url: string): ClusterAddress {
  const scheme = CLUSTER_URL.exec(url);
  if (!scheme) throw new Error('not a redis+cluster:// URL');
  let rest = url.slice(scheme[0].length).replace(/\/+$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const credentials = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
    username = user || undefined;
    if (colon >= 0) password = decodeURIComponent(credentials.slice(colon + 1)) || undefined;
  }
  const nodes = rest.split(',').map((hostPort) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/?#]+):(\d{1,5})$/.exec(hostPort.trim());
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65_535) throw new Error(`not a host:port: "${hostPort}"`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  return { nodes, username, password, tls: scheme[1] === 'rediss' };
}

/** Commands that put a connection into (or take it out of) subscriber mode. */
const SUBSCRIBER_COMMANDS = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
]);

/**
 * ioredis 5 writes a SUBSCRIBE issued during its connection handshake (status `connect`: TCP is up,
 * CLIENT SETNAME/SETINFO and the INFO ready check are in flight) straight to the socket, because
 * the command may run while Redis loads. If its reply comes before the ready check is sent, the
 * connection is in subscriber mode, ioredis refuses its own INFO, drops the connection and
 * reconnects without the subscription (it only restores those of a connection that was ready),
 * while the SUBSCRIBE's promise has already resolved (redis/ioredis#2037). That is how two of
 * three gateways ended up with no event subscription at all. Such commands wait for `ready`.
 */
function afterHandshake(client: Redis, run: () => unknown, command: { reject(err: Error): void }): unknown {
  return new Promise<unknown>((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      Promise.resolve(run()).then(resolve, reject);
    };
    const onEnd = () => {
      client.off('ready', onReady);
      const err = new Error('Connection is closed.');
      command.reject(err);
      reject(err);
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/**
 * An ioredis client with an `error` listener and no unhandled rejections (without either, a Redis
 * outage crashes the process), and a retry strategy that keeps reconnecting with capped backoff,
 * so the service survives a restart. The cap is short (1 s) so service resumes soon after Redis
 * does, and a queued command fails after one failed reconnect rather than waiting out several.
 * A `redis+cluster://` URL gives an ioredis `Cluster` with the same behaviour (see parseClusterUrl);
 * a `redis+sentinel://` URL a client that finds the master through Sentinel (parseSentinelUrl).
 * Every Redis connection of every service is made here, so each takes every form of REDIS_URL.
 */
export function createRedis(url: string, name: string, opts: RedisClientOptions = {}): RedisClient {
  const retry = (times: number) => Math.min(100 * times, 1000);
  let client: RedisClient;
  if (isClusterUrl(url)) {
    const { nodes, username, password, tls } = parseClusterUrl(url);
    client = new Cluster(nodes, {
      clusterRetryStrategy: retry,
      enableOfflineQueue: true,
      enableAutoPipelining: opts.autoPipelining ?? false,
      shardedSubscribers: opts.shardedSubscribers ?? false,
      redisOptions: {
        connectionName: name,
        username,
        password,
        tls: tls ? {} : undefined,
        maxRetriesPerRequest: 1,
        autoResubscribe: opts.autoResubscribe ?? true,
      },
    });
  } else if (isSentinelUrl(url)) {
    client = createSentinelClient(url, name, opts, retry);
  } else {
    client = new Redis(url, {
      connectionName: name,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      retryStrategy: retry,
      enableAutoPipelining: opts.autoPipelining ?? false,
      autoResubscribe: opts.autoResubscribe ?? true,
    });
  }
  if (opts.failFast) {
    // ioredis reads this option on every command, so it can change after the first connection.
    client.once('ready', () => {
      client.options.enableOfflineQueue = false;
    });
  }
  guardCommands(client);
  let lastLogged = 0;
  const log = (err: Error) => {
    const now = Date.now();
    if (now - lastLogged > 5000) {
      lastLogged = now;
      logger.warn(`${name}: ${err.message}`);
    }
  };
  client.on('error', log);
  // A cluster reports each node's connection errors apart from its own.
  if (client instanceof Cluster) client.on('node error', log);
  return client;
}

/**
 * A client of the master Sentinel names. On every (re)connection ioredis asks the sentinels, in
 * turn, where the master is, connects there and checks that the node really is a master (`role`),
 * so after a failover the next reconnect lands on the promoted replica. Three things make that
 * reconnect prompt:
 * - a crashed master closes the connections (the retry strategy takes over at once);
 * - `failoverDetector`: the client also listens to the sentinels' `+switch-master`, and leaves a
 *   master that was demoted but still answers (a partition that healed);
 * - `reconnectOnError`: a write refused with READONLY (the node became a replica before the
 *   sentinels told us) reconnects and resends it, instead of failing every write until then.
 * While the sentinels still name the dead master (down-after-milliseconds plus the election, a few
 * seconds), each reconnect fails and the capped backoff keeps trying; the client is not `ready`
 * then, which is what the readiness details report.
 */
function createSentinelClient(
  url: string,
  name: string,
  opts: RedisClientOptions,
  retry: (times: number) => number,
): Redis {
  const address = parseSentinelUrl(url);
  const client = new Redis({
    sentinels: address.sentinels,
    name: address.masterName,
    role: 'master',
    username: address.username,
    password: address.password,
    sentinelUsername: address.sentinelUsername,
    sentinelPassword: address.sentinelPassword,
    db: address.db,
    tls: address.tls ? {} : undefined,
    sentinelTLS: address.tls ? {} : undefined,
    enableTLSForSentinelMode: address.tls,
    // When no sentinel answers: try them all again, backing off like the data connection.
    sentinelRetryStrategy: retry,
    // A sentinel that accepts the connection but does not answer is skipped after this long.
    sentinelCommandTimeout: 2000,
    failoverDetector: true,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: retry,
    enableAutoPipelining: opts.autoPipelining ?? false,
    autoResubscribe: opts.autoResubscribe ?? true,
  });
  // The one line an operator needs during a failover: which node this client now writes to.
  let master = '';
  client.on('ready', () => {
    const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    const now = `${stream?.remoteAddress ?? '?'}:${stream?.remotePort ?? '?'}`;
    if (master && now !== master)
      logger.warn(`${name}: Sentinel master "${address.masterName}" moved from ${master} to ${now}`);
    else if (!master) logger.log(`${name}: connected to Sentinel master "${address.masterName}" at ${now}`);
    master = now;
  });
  keepSentinelClientAlive(client, name, retry);
  return client;
}

/**
 * Only the owner ends a Sentinel client. ioredis (5.11, and 6.x unchanged) ends one for good when
 * its failover detector sees `+switch-master` while a reconnect is still asking a sentinel where
 * the master is: the detector closes the connector, the pending connect fails with "Connection is
 * closed." and the client goes to `end` with nobody to reconnect it. During a master crash every
 * client is in that loop, so on a slow link to the sentinels (or a loaded machine) a replica kept
 * running with dead Redis clients: no fan-out, no events, until restarted. An `end` the owner did
 * not ask for (quit or disconnect) is therefore reconnected here, with the same capped backoff.
 * One the owner asked for also ends the detector's connections to the sentinels, which quit()
 * leaves reconnecting (and the process alive).
 */
function keepSentinelClientAlive(client: Redis, name: string, retry: (times: number) => number): void {
  let closing = false;
  let ends = 0;
  let timer: NodeJS.Timeout | undefined;
  const disconnect = client.disconnect.bind(client);
  const quit = client.quit.bind(client);
  const closedByOwner = () => {
    closing = true;
    clearTimeout(timer);
  };
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closedByOwner();
    disconnect(reconnect);
  };
  client.quit = (...args: Parameters<Redis['quit']>) => {
    closedByOwner();
    return quit(...args);
  };
  client.on('ready', () => (ends = 0));
  client.on('end', () => {
    if (closing) {
      disconnect();
      return;
    }
    ends++;
    logger.warn(`${name}: ioredis ended the connection during a Sentinel failover; reconnecting`);
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!closing && client.status === 'end') client.connect().catch(() => undefined);
    }, retry(ends));
  });
}

/**
 * A command nobody awaits (the socket.io adapter publishes and subscribes without awaiting) must
 * not turn an outage into an unhandled rejection that ends the process; awaited ones still reject.
 * A cluster sends (un)subscribes on subscriber connections of its own, so only a standalone
 * client needs the handshake guard.
 */
function guardCommands(client: RedisClient): void {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  const guarded = (command: Command, ...rest: unknown[]): unknown => {
    const pending =
      client instanceof Redis && client.status === 'connect' && SUBSCRIBER_COMMANDS.has(command.name)
        ? afterHandshake(client, () => send(command, ...rest), command)
        : send(command, ...rest);
    if (pending instanceof Promise) pending.catch(() => undefined);
    return pending;
  };
  client.sendCommand = guarded as typeof client.sendCommand;
}
