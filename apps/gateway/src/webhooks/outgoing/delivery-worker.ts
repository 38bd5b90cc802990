import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { MessageReader } from '../../messages/message.reader';
import {
  OutgoingWebhooksRepository,
  type LeasedWebhook,
  type QueuedDelivery,
} from './outgoing-webhooks.repository';
import { retryDelayMs, retryWindowOver } from './retry-policy';
import { DELIVERY_TIMEOUT_MS, postWebhook } from './webhook-sender';

/** Webhooks one replica delivers to at once (each strictly one event at a time). */
const SLOTS = 8;
/** How often an idle replica looks for work; also the latency of a new event when idle. */
const POLL_MS = 500;
/**
 * How long a claimed webhook stays a replica's without renewal (renewed before every attempt, which
 * takes at most DELIVERY_TIMEOUT_MS). A replica that dies holding it delays that webhook this long.
 */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5_000;
/** Events delivered under one lease before the webhook goes back to the pool (fairness). */
const EVENTS_PER_LEASE = 200;
/** New messages taken into a queue at once (the rows also make the delivery log). */
const QUEUE_BATCH = 100;
/** Settled deliveries stay in the log this long. */
const LOG_RETENTION_MS = 7 * 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 1_000;
/** At shutdown, how long the aborted passes may take to record and release their leases. */
const SHUTDOWN_WAIT_MS = 5_000;

/** The JSON an outgoing webhook receives (docs/integrations.md "Outgoing webhooks"). */
export interface WebhookDeliveryBody {
  event: string;
  /** Equal to X-Chat-Delivery; the same on every retry of this event. */
  deliveryId: string;
  webhookId: string;
  channelId: string;
  seq: number;
  messageId: string;
  /** message:new and message:updated: the message as the API shows it. */
  message?: Message;
  /** When this attempt was sent (differs between retries; signed with the rest). */
  sentAt: string;
}

class LeaseLost extends Error {}

/**
 * Delivers every outgoing webhook's queue, on every replica. The database is the queue: a replica
 * leases one webhook at a time (a lease row, expiring, so a dead replica's webhooks are taken over),
 * takes the channel's new messages into it by seq (a cursor on the webhook, so a message committed
 * just before a crash is still delivered), and sends its head event until the receiver answers 2xx.
 * A failure holds the whole queue (strict seq order) and retries with backoff until the event is 24
 * hours old; then it is marked failed and the queue moves on. At least once: an event may be sent
 * again (same X-Chat-Delivery) when a replica dies between the receiver's answer and the record.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly active = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Aborts in-flight attempts at shutdown: the event stays at its queue's head for another replica. */
  private readonly shutdown = new AbortController();
  private lastPrune = 0;

  constructor(
    private readonly repo: OutgoingWebhooksRepository,
    private readonly reader: MessageReader,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.shutdown.abort();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active]),
      new Promise((resolve) => (timeout = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timeout);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** Fills the free slots with claimed webhooks, then sleeps until the next poll. */
  private async tick(): Promise<void> {
    try {
      while (!this.stopped && this.active.size < SLOTS) {
        const token = randomUUID();
        const webhook = await this.repo.claim(token, LEASE_MS);
        if (!webhook) break;
        const work = this.work(webhook, token).finally(() => this.active.delete(work));
        this.active.add(work);
      }
      await this.prune();
    } catch (err) {
      this.logger.warn({ err }, 'outgoing webhooks: poll failed; retrying');
    }
    this.schedule(POLL_MS);
  }

  private async work(webhook: LeasedWebhook, token: string): Promise<void> {
    try {
      for (let n = 0; n < EVENTS_PER_LEASE && !this.stopped; n++) {
        if (n > 0 && !(await this.repo.renew(webhook.id, token, LEASE_MS))) return;
        if (webhook.events.includes('message:new')) await this.queueNewMessages(webhook, token);
        const head = await this.repo.head(webhook.id);
        if (!head) return;
        if (!(await this.deliver(webhook, head))) return;
      }
    } catch (err) {
      if (!(err instanceof LeaseLost))
        this.logger.warn({ err, webhookId: webhook.id }, 'outgoing webhook: delivery pass failed');
    } finally {
      await this.repo
        .release(webhook.id, token)
        .catch((err: unknown) => this.logger.warn({ err, webhookId: webhook.id }, 'lease not released'));
    }
  }

  /**
   * Takes the channel's next messages (consecutive seqs after the cursor) into the queue once the
   * message:new events already queued are delivered: the queue holds at most one batch of them, and
   * an edit queued for a message not yet taken in still comes after that message (HEAD_ORDER).
   */
  private async queueNewMessages(webhook: LeasedWebhook, token: string): Promise<void> {
    if (await this.repo.hasPendingNew(webhook.id)) return;
    let from = webhook.queuedSeq;
    if (from === null) {
      // First pass: start after the messages the channel had when the webhook was created.
      const start = await this.repo.seqAt(webhook.channelId, webhook.createdAt);
      if (!(await this.repo.queueNew(webhook, token, null, start, []))) throw new LeaseLost();
      from = webhook.queuedSeq = start;
    }
    const next = await this.reader.range(webhook.channelId, from, from + QUEUE_BATCH + 1);
    const taken: Message[] = [];
    for (const m of next) {
      if (m.seq !== from + taken.length + 1) break;
      taken.push(m);
    }
    if (taken.length === 0) return;
    const to = taken[taken.length - 1].seq;
    if (!(await this.repo.queueNew(webhook, token, from, to, taken))) throw new LeaseLost();
    webhook.queuedSeq = to;
  }

  /** One attempt at the head event; true when the queue may go on to the next one. */
  private async deliver(webhook: LeasedWebhook, head: QueuedDelivery): Promise<boolean> {
    const body = JSON.stringify(deliveryBody(webhook, head, new Date()));
    const result = await postWebhook(
      { targetUrl: webhook.targetUrl, secret: webhook.secret, event: head.event, deliveryId: head.id, body },
      { allowedHosts: this.config.webhooks.allowedHosts, signal: this.shutdown.signal },
    );
    // Cut short by this replica's shutdown: not the receiver's failure, so not recorded as one.
    if (!result.ok && this.shutdown.signal.aborted) return false;
    if (result.ok) {
      await this.repo.delivered(head.id, webhook.id, result.status as number);
      return true;
    }
    const now = new Date();
    const givenUp = retryWindowOver(head.createdAt, now);
    const retryAt = givenUp ? null : new Date(now.getTime() + retryDelayMs(head.attempts + 1));
    await this.repo.attemptFailed(head.id, webhook.id, result, retryAt);
    if (givenUp)
      this.logger.warn(
        { webhookId: webhook.id, deliveryId: head.id, seq: head.seq, error: result.error },
        'outgoing webhook event given up after its retry window',
      );
    return givenUp;
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.repo.prune(new Date(Date.now() - LOG_RETENTION_MS), PRUNE_BATCH);
  }
}

/** What a receiver gets for one event; the payload stored with it decides `message`. */
export function deliveryBody(
  webhook: { id: string },
  head: Pick<QueuedDelivery, 'id' | 'event' | 'channelId' | 'seq' | 'payload'>,
  sentAt: Date,
): WebhookDeliveryBody {
  const payload = head.payload as { id: string };
  return {
    event: head.event,
    deliveryId: head.id,
    webhookId: webhook.id,
    channelId: head.channelId,
    seq: head.seq,
    messageId: payload.id,
    ...(head.event === 'message:deleted' ? {} : { message: head.payload as Message }),
    sentAt: sentAt.toISOString(),
  };
}
