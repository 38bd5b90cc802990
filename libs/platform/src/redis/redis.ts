import { Logger } from '@nestjs/common';
import Redis, { Cluster, type ClusterNode, type Command } from 'ioredis';

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
 * A `redis+cluster://` URL gives an ioredis `Cluster` with the same behaviour (see parseClusterUrl).
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
