import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ChannelKind, Message, Notification, NotificationKind } from '@chat/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { SocketHub } from '../infra/socket-hub';
import { PresenceService } from '../presence/presence.service';
import { planNotifications, type PlannedGroup } from './notification-planner';
import { notificationBody, notificationTitle } from './notification-text';
import { NotificationsRepository, type RecipientAccount } from './notifications.repository';
import { PushQueue } from './push/push-queue';

/**
 * Decisions running at once. Each takes a pooled database connection the sends also need: a
 * burst of messages queues here instead of crowding the sends out of the pool.
 */
const CONCURRENCY = 2;
/**
 * Messages decided together at most, in one statement of candidates and one of accounts: while
 * both decisions run, the messages sent meanwhile gather into the next (a busy replica's many
 * quiet channels cost a statement per batch, not per message).
 */
const BATCH_MAX = 64;
/**
 * How long a message waits for others before its decision starts, when none is under way. Sends
 * that arrive evenly (many quiet channels) never overlap a running decision, so without it every
 * batch would hold one message; 10 ms is no delay anyone notices in a notification, and at 500
 * messages/s it gathers five into one statement.
 */
const BATCH_WINDOW_MS = 10;
/**
 * Decisions waiting at most. Past it (the database far behind a flood of sends), new messages
 * notify nobody rather than let the queue grow without bound; each one dropped is logged.
 */
const QUEUE_MAX = 10_000;
/** How long a stopping replica waits for the decisions it owes. */
const SHUTDOWN_WAIT_MS = 5_000;

/**
 * Who a new message notifies, and telling them: the `notification` push to every socket of each
 * recipient on every replica, Web Push for recipients with no socket anywhere, and a row for the
 * away digest. Runs after the send's commit, in the background: the sender's acknowledgement never
 * waits for it and its failures never reach the send (a lost notification is logged; the message
 * itself is safe and unread).
 */
@Injectable()
export class NotificationsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationsService.name);
  private readonly queue: Message[] = [];
  private running = 0;
  /** The gathering of the next batch, while no decision runs. */
  private window?: NodeJS.Timeout;
  private idle: (() => void)[] = [];

  constructor(
    private readonly repo: NotificationsRepository,
    private readonly hub: SocketHub,
    private readonly presence: PresenceService,
    private readonly push: PushQueue,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** A new message was committed (not a retry): notify whom it concerns, later. Never throws. */
  messageSent(message: Message): void {
    if (!this.config.notifications.enabled) return;
    if (this.queue.length >= QUEUE_MAX) {
      this.logger.warn(
        { channelId: message.channelId, seq: message.seq },
        'notification queue full: message notifies nobody',
      );
      return;
    }
    this.queue.push(message);
    if (this.running > 0 || this.window) return;
    this.window = setTimeout(() => {
      this.window = undefined;
      this.drain();
    }, BATCH_WINDOW_MS);
  }

  /**
   * A stopping replica finishes the decisions it owes (their sends were acknowledged), for a
   * while: with Redis or the database unreachable they could wait for ever, and the stop may not.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!finished)
      this.logger.warn({ left: this.running + this.queue.length }, 'stopped with notifications undecided');
  }

  private drain(): void {
    while (this.running < CONCURRENCY && this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_MAX);
      this.running++;
      this.notifyAll(batch)
        .catch((err: unknown) =>
          this.logger.warn(
            { err, messages: batch.map((m) => ({ channelId: m.channelId, seq: m.seq })) },
            'notifications of messages failed',
          ),
        )
        .finally(() => {
          this.running--;
          this.drain();
          if (this.running === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
        });
    }
  }

  /** Decides for a batch of messages, then delivers each one's notifications. */
  private async notifyAll(batch: Message[]): Promise<void> {
    const candidates = await this.repo.candidates(
      batch.map((message) => ({
        channelId: message.channelId,
        authorId: message.author.id,
        mentionedIds: message.mentions.userIds,
        everyone: message.mentions.channel,
        threadId: message.threadId,
      })),
    );
    // A message whose candidates are none (or whose channel is gone) concerns nobody.
    const decided = batch.flatMap((message, i) => {
      const rows = candidates[i];
      if (rows.length === 0) return [];
      const channel = { kind: rows[0].channel_kind, name: rows[0].channel_name };
      const planned = planNotifications(
        rows.map((r) => ({
          userId: r.user_id,
          notify: r.notify,
          mentioned: r.mentioned,
          follows: r.follows,
        })),
        { channelKind: channel.kind, everyone: message.mentions.channel },
      );
      return planned.length > 0 ? [{ message, channel, planned }] : [];
    });
    if (decided.length === 0) return;
    // The accounts of the few recipients: the banned get nothing, the digest's readers a row.
    const recipients = new Set(decided.flatMap((d) => d.planned.flatMap((g) => g.userIds)));
    const accounts = new Map((await this.repo.accounts([...recipients])).map((a) => [a.id, a]));
    await Promise.all(
      decided.map(({ message, channel, planned }) => this.notify(message, channel, planned, accounts)),
    );
  }

  /** Delivers one message's notifications: one push per kind, Web Push for the offline, digest rows. */
  private async notify(
    message: Message,
    channel: { kind: ChannelKind; name: string },
    planned: PlannedGroup[],
    accounts: Map<string, RecipientAccount>,
  ): Promise<void> {
    const groups = planned
      .map(({ kind, userIds }) => ({
        kind,
        userIds: userIds.filter((id) => accounts.get(id)?.banned === false),
      }))
      .filter((g) => g.userIds.length > 0);
    if (groups.length === 0) return;
    const base = {
      channelId: message.channelId,
      messageId: message.id,
      seq: message.seq,
      title: notificationTitle(message.author.username, channel),
      body: notificationBody(message),
    };
    const of = (kind: NotificationKind): Notification => ({ kind, ...base });
    for (const { kind, userIds } of groups) {
      this.hub.toUsers(userIds, 'notification', of(kind));
      this.metrics.fannedOut.inc({ event: 'notification' });
    }
    const digest = groups.flatMap(({ kind, userIds }) =>
      userIds.filter((id) => accounts.get(id)?.digest).map((userId) => ({ userId, kind })),
    );
    // The socket push is out; the rest is independent, and neither may cost the other its delivery.
    await Promise.all([
      this.pushToOffline(
        groups
          .map(({ kind, userIds }) => ({ kind, userIds: userIds.filter((id) => accounts.get(id)?.push) }))
          .filter((g) => g.userIds.length > 0),
        of,
      ),
      this.repo
        .recordForDigest(digest, base)
        .catch((err: unknown) =>
          this.logger.warn({ err, messageId: message.id }, 'notifications not recorded for the digest'),
        ),
    ]);
  }

  /**
   * Web Push for the recipients (those with a push subscription) with no socket connected on any
   * replica. Most recipients have no subscription: they cost no presence lookup.
   */
  private async pushToOffline(
    groups: { kind: NotificationKind; userIds: string[] }[],
    of: (kind: NotificationKind) => Notification,
  ): Promise<void> {
    if (groups.length === 0) return;
    try {
      const online = await this.presence.online(groups.flatMap((g) => g.userIds));
      const queued: Promise<void>[] = [];
      for (const { kind, userIds } of groups) {
        const offline = userIds.filter((id) => !online.has(id));
        if (offline.length > 0) queued.push(this.push.enqueue(offline, of(kind)));
      }
      await Promise.all(queued);
    } catch (err) {
      this.logger.warn({ err }, 'Web Push notifications not queued');
    }
  }
}
