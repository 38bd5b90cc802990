import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

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
 */
export function createRedis(url: string, name: string, opts: RedisClientOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    enableAutoPipelining: opts.autoPipelining ?? false,
    autoResubscribe: opts.autoResubscribe ?? true,
  });
  if (opts.failFast) {
    // ioredis reads this option on every command, so it can change after the first connection.
    client.once('ready', () => {
      client.options.enableOfflineQueue = false;
    });
  }
  // A command nobody awaits (the socket.io adapter publishes and subscribes without awaiting) must
  // not turn an outage into an unhandled rejection that ends the process; awaited ones still reject.
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    const pending =
      client.status === 'connect' && SUBSCRIBER_COMMANDS.has(command.name)
        ? afterHandshake(client, () => send(command, stream), command)
        : send(command, stream);
    if (pending instanceof Promise) pending.catch(() => undefined);
    return pending;
  };
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged > 5000) {
      lastLogged = now;
      logger.warn(`${name}: ${err.message}`);
    }
  });
  return client;
}
