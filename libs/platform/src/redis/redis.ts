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
    const pending = send(command, stream);
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
