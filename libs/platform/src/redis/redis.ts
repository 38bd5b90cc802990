import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

const logger = new Logger('Redis');

/**
 * An ioredis client with an `error` listener (without one, a Redis outage crashes the process) and
 * a retry strategy that keeps reconnecting with capped backoff, so the service survives a restart.
 */
export function createRedis(url: string, name: string): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
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
