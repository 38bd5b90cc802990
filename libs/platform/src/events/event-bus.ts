import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis } from '../redis/redis';
import type { DomainEvents } from './domain-events';

type Topic = keyof DomainEvents;
type Handler<T extends Topic> = (payload: DomainEvents[T]) => void | Promise<void>;

/**
 * Events between services (a ban, a role change, a member removed). Redis pub/sub when the
 * deployment has Redis; otherwise an in-process bus shared by every app in this process (the
 * one-command local mode runs them all in one process).
 */
export interface EventBus {
  publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void;
  close(): Promise<void>;
}

const logger = new Logger('EventBus');

function runHandler(topic: string, handler: (p: never) => void | Promise<void>, payload: unknown): void {
  try {
    Promise.resolve(handler(payload as never)).catch((err: unknown) =>
      logger.error({ err, topic }, `event handler for ${topic} failed`),
    );
  } catch (err) {
    logger.error({ err, topic }, `event handler for ${topic} failed`);
  }
}

/** One emitter per process, so co-hosted apps see each other's events. */
const processEmitter = new EventEmitter().setMaxListeners(0);

export class InProcessEventBus implements EventBus {
  private readonly handlers: [string, (p: unknown) => void][] = [];

  publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void> {
    // Round-trip through JSON so subscribers see exactly what Redis would have delivered.
    const copy: unknown = JSON.parse(JSON.stringify(payload));
    setImmediate(() => processEmitter.emit(topic, copy));
    return Promise.resolve();
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void {
    const listener = (payload: unknown) => runHandler(topic, handler, payload);
    this.handlers.push([topic, listener]);
    processEmitter.on(topic, listener);
  }

  close(): Promise<void> {
    for (const [topic, listener] of this.handlers) processEmitter.off(topic, listener);
    this.handlers.length = 0;
    return Promise.resolve();
  }
}

export class RedisEventBus implements EventBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, ((p: unknown) => void)[]>();

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.pub = createRedis(url, 'events-pub');
    this.sub = createRedis(url, 'events-sub');
    this.sub.on('message', (channel: string, raw: string) => {
      const topic = channel.slice(this.prefix.length + ':events:'.length);
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        logger.warn(`dropping malformed event on ${channel}`);
        return;
      }
      for (const h of this.handlers.get(topic) ?? []) runHandler(topic, h, payload);
    });
  }

  private channel(topic: string): string {
    return `${this.prefix}:events:${topic}`;
  }

  async publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void> {
    await this.pub.publish(this.channel(topic), JSON.stringify(payload));
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void {
    const list = this.handlers.get(topic) ?? [];
    if (list.length === 0) {
      this.sub
        .subscribe(this.channel(topic))
        .catch((err: Error) => logger.error(`subscribe ${topic}: ${err.message}`));
    }
    list.push(handler as (p: unknown) => void);
    this.handlers.set(topic, list);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

export function createEventBus(redisUrl: string, prefix: string): EventBus {
  return redisUrl ? new RedisEventBus(redisUrl, prefix) : new InProcessEventBus();
}
