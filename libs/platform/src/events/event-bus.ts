import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { Metrics } from '../observability/metrics';
import { createRedis, type RedisClient } from '../redis/redis';
import type { DomainEvents } from './domain-events';

type Topic = keyof DomainEvents;
type Handler<T extends Topic> = (payload: DomainEvents[T]) => void | Promise<void>;

/** What the bus can say about its subscriptions right now (no I/O). */
export interface EventBusStatus {
  transport: 'in-process' | 'redis';
  /** The subscriber connection is up (always true in process). */
  connected: boolean;
  /** Every topic with a handler is subscribed on the current connection, as Redis confirmed. */
  subscribed: boolean;
  /** Topics with a handler in this process. */
  topics: string[];
  /** Of those, the ones Redis has not confirmed on the current connection. */
  missing: string[];
  /** When Redis last confirmed the whole set (ISO time); null before the first time. */
  verifiedAt: string | null;
}

/**
 * The bus's part in readiness. `subscribed`: every event reaches this replica. `degraded`: Redis is
 * unreachable, so no replica gets events; this one is no worse than its peers and stays ready.
 * `resubscribing`: Redis answers and the subscriber connection is being restored (a short grace).
 * `unsubscribed`: Redis answers but this replica would miss events: not ready.
 */
export interface EventBusHealth {
  ready: boolean;
  state: 'subscribed' | 'degraded' | 'resubscribing' | 'unsubscribed';
  message?: string;
}

/**
 * Events between services (a ban, a role change, a member removed). Redis pub/sub when the
 * deployment has Redis; otherwise an in-process bus shared by every app in this process (the
 * one-command local mode runs them all in one process).
 */
export interface EventBus {
  publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void;
  status(): EventBusStatus;
  /** Readiness (may ping Redis, at most ~1 s). */
  check(): Promise<EventBusHealth>;
  /** Whether Redis answers a PING now; null without Redis. */
  redisReachable(): Promise<boolean | null>;
  close(): Promise<void>;
}

const logger = new Logger('EventBus');

/** Per-topic counters of the bus, on the app's registry; absent when no registry is given. */
class BusMetrics {
  private readonly received: Counter<'topic'>;
  private readonly published: Counter<'topic'>;

  constructor(metrics: Metrics, status: () => EventBusStatus) {
    this.received = metrics.counter(
      'event_bus_events_received_total',
      'Domain events delivered to this process by topic',
      ['topic'],
    );
    this.published = metrics.counter(
      'event_bus_events_published_total',
      'Domain events published by this process by topic',
      ['topic'],
    );
    metrics.gauge(
      'event_bus_topic_subscribed',
      'Per topic with a handler: 1 when subscribed',
      ['topic'],
      function () {
        this.reset();
        const { topics, missing } = status();
        for (const topic of topics) this.set({ topic }, missing.includes(topic) ? 0 : 1);
      },
    );
    metrics.gauge(
      'event_bus_subscribed',
      '1 when every topic with a handler is subscribed on the current connection',
      [],
      function () {
        this.set(status().subscribed ? 1 : 0);
      },
    );
  }

  onReceived(topic: string): void {
    this.received.inc({ topic });
  }

  onPublished(topic: string): void {
    this.published.inc({ topic });
  }
}

function runHandler(topic: string, handler: (p: never) => void | Promise<void>, payload: unknown): void {
  try {
    Promise.resolve(handler(payload as never)).catch((err: unknown) =>
      logger.error({ err, topic }, `event handler for ${topic} failed`),
    );
  } catch (err) {
    logger.error({ err, topic }, `event handler for ${topic} failed`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One emitter per process, so co-hosted apps see each other's events. */
const processEmitter = new EventEmitter().setMaxListeners(0);

export class InProcessEventBus implements EventBus {
  private readonly handlers: [string, (p: unknown) => void][] = [];
  private readonly metrics?: BusMetrics;

  constructor(metrics?: Metrics) {
    if (metrics) this.metrics = new BusMetrics(metrics, () => this.status());
  }

  publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void> {
    // Round-trip through JSON so subscribers see exactly what Redis would have delivered.
    const copy: unknown = JSON.parse(JSON.stringify(payload));
    this.metrics?.onPublished(topic);
    setImmediate(() => processEmitter.emit(topic, copy));
    return Promise.resolve();
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void {
    const listener = (payload: unknown) => {
      this.metrics?.onReceived(topic);
      runHandler(topic, handler, payload);
    };
    this.handlers.push([topic, listener]);
    processEmitter.on(topic, listener);
  }

  status(): EventBusStatus {
    return {
      transport: 'in-process',
      connected: true,
      subscribed: true,
      topics: [...new Set(this.handlers.map(([t]) => t))],
      missing: [],
      verifiedAt: null,
    };
  }

  check(): Promise<EventBusHealth> {
    return Promise.resolve({ ready: true, state: 'subscribed' });
  }

  redisReachable(): Promise<null> {
    return Promise.resolve(null);
  }

  close(): Promise<void> {
    for (const [topic, listener] of this.handlers) processEmitter.off(topic, listener);
    this.handlers.length = 0;
    return Promise.resolve();
  }
}

export interface RedisEventBusOptions {
  /** How often the subscriptions are re-asserted and counted by Redis. Default 10 s. */
  verifyIntervalMs?: number;
  /** How long Redis may take to answer a SUBSCRIBE or PING before the connection is suspect. Default 2 s. */
  replyTimeoutMs?: number;
  /**
   * How long the bus may be without its subscriptions while Redis answers before the replica is
   * not ready. Default 3 s: a reconnect (backoff capped at 1 s) and its SUBSCRIBE fit, so a Redis
   * restart does not take every replica out at once.
   */
  graceMs?: number;
  metrics?: Metrics;
}

/**
 * Redis pub/sub with subscriptions that are restored and proven, not assumed. Each time the
 * subscriber connection becomes ready (at start and after every reconnect), and every
 * `verifyIntervalMs` after, it SUBSCRIBEs every topic with a handler in one command: SUBSCRIBE is
 * idempotent and its reply counts the connection's channels, so a count equal to the number of
 * topics proves them all. No answer in time means a dead connection: it is dropped and restored.
 */
export class RedisEventBus implements EventBus {
  private readonly pub: RedisClient;
  private readonly sub: RedisClient;
  private readonly handlers = new Map<string, ((p: unknown) => void)[]>();
  /** Channels Redis confirmed on the current subscriber connection. */
  private readonly confirmed = new Set<string>();
  /** Bumped when the subscriber connection closes: an answer from an older one proves nothing. */
  private epoch = 0;
  private verifiedAt: number | null = null;
  private everSubscribed = false;
  /** Since when Redis answered while subscriptions were missing (null: not the case). */
  private missingSince: number | null = null;
  private reconciling: Promise<void> | null = null;
  private reconcileAgain = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly verifyIntervalMs: number;
  private readonly replyTimeoutMs: number;
  private readonly graceMs: number;
  private readonly metrics?: BusMetrics;

  constructor(
    url: string,
    private readonly prefix: string,
    opts: RedisEventBusOptions = {},
  ) {
    this.verifyIntervalMs = opts.verifyIntervalMs ?? 10_000;
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 2000;
    this.graceMs = opts.graceMs ?? 3000;
    if (opts.metrics) this.metrics = new BusMetrics(opts.metrics, () => this.status());
    this.pub = createRedis(url, 'events-pub');
    // The bus restores its subscriptions itself (and proves them); ioredis' own restoring only
    // covers connections that had been ready, which is how they were lost (see createRedis).
    this.sub = createRedis(url, 'events-sub', { autoResubscribe: false });
    this.sub.on('message', (channel: string, raw: string) => {
      const topic = channel.slice(this.prefix.length + ':events:'.length);
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        logger.warn(`dropping malformed event on ${channel}`);
        return;
      }
      this.metrics?.onReceived(topic);
      for (const h of this.handlers.get(topic) ?? []) runHandler(topic, h, payload);
    });
    this.sub.on('ready', () => void this.reconcile());
    this.sub.on('close', () => {
      this.epoch++;
      if (this.confirmed.size > 0 && !this.closed)
        logger.warn('event subscriber connection lost; subscriptions are restored on reconnect');
      this.confirmed.clear();
    });
    this.timer = setInterval(() => void this.reconcile(), this.verifyIntervalMs);
    this.timer.unref();
  }

  private channel(topic: string): string {
    return `${this.prefix}:events:${topic}`;
  }

  async publish<T extends Topic>(topic: T, payload: DomainEvents[T]): Promise<void> {
    await this.pub.publish(this.channel(topic), JSON.stringify(payload));
    this.metrics?.onPublished(topic);
  }

  subscribe<T extends Topic>(topic: T, handler: Handler<T>): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as (p: unknown) => void);
    this.handlers.set(topic, list);
    if (list.length === 1) void this.reconcile();
  }

  status(): EventBusStatus {
    const topics = [...this.handlers.keys()];
    const missing = topics.filter((t) => !this.confirmed.has(this.channel(t)));
    return {
      transport: 'redis',
      connected: this.sub.status === 'ready',
      subscribed: missing.length === 0 && (topics.length === 0 || this.sub.status === 'ready'),
      topics,
      missing,
      verifiedAt: this.verifiedAt === null ? null : new Date(this.verifiedAt).toISOString(),
    };
  }

  async check(): Promise<EventBusHealth> {
    const { subscribed, missing } = this.status();
    if (subscribed) {
      this.missingSince = null;
      return { ready: true, state: 'subscribed' };
    }
    if (!(await this.redisReachable())) {
      this.missingSince = null;
      return {
        ready: true,
        state: 'degraded',
        message: 'Redis is unreachable: no replica receives events until it is back',
      };
    }
    const now = Date.now();
    this.missingSince ??= now;
    void this.reconcile();
    const message = `not subscribed to ${missing.join(', ')} while Redis answers`;
    if (this.everSubscribed && now - this.missingSince < this.graceMs)
      return { ready: true, state: 'resubscribing', message };
    return { ready: false, state: 'unsubscribed', message };
  }

  async redisReachable(): Promise<boolean> {
    if (this.pub.status !== 'ready') return false;
    try {
      return (await withTimeout(this.pub.ping(), Math.min(this.replyTimeoutMs, 1000), 'PING')) === 'PONG';
    } catch {
      return false;
    }
  }

  /** One reconcile at a time; a request meanwhile runs once more after it. */
  private reconcile(): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = this.subscribeAll().finally(() => {
      this.reconciling = null;
      if (this.reconcileAgain) {
        this.reconcileAgain = false;
        void this.reconcile();
      }
    });
    return this.reconciling;
  }

  private async subscribeAll(): Promise<void> {
    const channels = [...this.handlers.keys()].map((t) => this.channel(t));
    // Only on a ready connection: during the handshake a SUBSCRIBE can cost the connection (see
    // createRedis), and while disconnected the next `ready` brings us back here.
    if (this.closed || channels.length === 0 || this.sub.status !== 'ready') return;
    const epoch = this.epoch;
    const missingBefore = channels.filter((c) => !this.confirmed.has(c));
    let count: unknown;
    try {
      count = await withTimeout(this.sub.subscribe(...channels), this.replyTimeoutMs, 'SUBSCRIBE');
    } catch (err) {
      if (this.closed || epoch !== this.epoch) return;
      logger.warn(`event subscriptions not confirmed (${(err as Error).message}); reconnecting`);
      this.confirmed.clear();
      // A connection that does not answer delivers nothing either: start over on a fresh one.
      this.sub.disconnect(true);
      return;
    }
    if (epoch !== this.epoch) return; // that connection is gone; the next `ready` subscribes again
    if (typeof count !== 'number' || count < channels.length) {
      // Cannot happen after a SUBSCRIBE of them all; if it does, nothing is proven.
      logger.warn(`SUBSCRIBE of ${channels.length} topics answered ${String(count)}`);
      return;
    }
    // More channels than topics would mean something else subscribed on this connection: every
    // topic is still subscribed.
    for (const c of channels) this.confirmed.add(c);
    this.verifiedAt = Date.now();
    this.missingSince = null;
    if (missingBefore.length > 0 && this.everSubscribed)
      logger.log(`event subscriptions restored (${missingBefore.length} of ${channels.length} topics)`);
    this.everSubscribed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.handlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }
}

export function createEventBus(redisUrl: string, prefix: string, opts: RedisEventBusOptions = {}): EventBus {
  return redisUrl ? new RedisEventBus(redisUrl, prefix, opts) : new InProcessEventBus(opts.metrics);
}
