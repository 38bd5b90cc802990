import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Mailer, newEmailToken, UNSUBSCRIBE_TOKEN_TTL_MS, unsubscribeEmailUrl } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { PresenceService } from '../../presence/presence.service';
import { digestMail } from './digest-mail';
import { EmailDigestRepository } from './email-digest.repository';

/** Users looked at per round; the rest wait for the next one. */
const ROUND_USERS = 100;
/** Notifications one digest lists; the rest are counted ("and 12 more"). */
const LISTED = 20;
/** Notifications one digest stands for (and retires); a longer backlog goes into the next window's. */
const PER_DIGEST = 500;
/** Rows per statement of the housekeeping steps: each is one short statement. */
const BATCH = 1000;
/** Notifications, sent or not, are deleted after this: nobody wants a month-old digest. */
const KEEP_NOTIFICATIONS_MS = 30 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
/** Rounds run every quarter window, between these bounds: a notification waits at most ~1.25 windows. */
const ROUND_MIN_MS = 250;
const ROUND_MAX_MS = 30_000;

export interface DigestRound {
  /** Digests handed to the SMTP server. */
  sent: number;
  /** Digests that failed; their notifications wait for the user's next window. */
  failed: number;
}

/**
 * The away digest (issue #17): a user with a verified address, digests on, no socket connected
 * anywhere, and notifications unread for EMAIL_NOTIFY_AFTER gets one email for all of them, at
 * most one per window. Every replica runs rounds at jittered intervals; a user is claimed with a
 * row lock (SKIP LOCKED) held while their email is sent, so two replicas never send the same
 * digest, and their notifications are marked in the same transaction: on success nothing is sent
 * twice, on a failed send (or a crash) the transaction rolls back and they are sent later.
 */
@Injectable()
export class EmailDigestService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EmailDigestService.name);
  private readonly windowMs: number;
  private readonly roundMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private nextPruneAt = Date.now() + Math.random() * PRUNE_EVERY_MS;
  /** The last user id of the previous round's page (null: start from the first). */
  private cursor: string | null = null;

  constructor(
    private readonly repo: EmailDigestRepository,
    private readonly presence: PresenceService,
    private readonly mailer: Mailer,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.windowMs = config.notifications.emailAfterMs;
    this.roundMs = Math.min(ROUND_MAX_MS, Math.max(ROUND_MIN_MS, Math.round(this.windowMs / 4)));
  }

  onApplicationBootstrap(): void {
    if (!this.mailer.configured) this.logger.log('email is not configured: no digest emails are sent');
    // A random start, so replicas started together (a rollout) do not run their rounds in step.
    this.schedule(Math.random() * this.roundMs);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A round stops between users; the one being sent finishes (its row lock ends with it).
    await this.running;
  }

  /** One round: retire what cannot or need not be sent, then send the due digests. */
  async runOnce(): Promise<DigestRound> {
    const round: DigestRound = { sent: 0, failed: 0 };
    if (!this.mailer.configured) return round;
    await this.repo.skipUndeliverable(this.windowMs, BATCH);
    const due = await this.repo.dueUsers(this.windowMs, this.cursor, ROUND_USERS);
    // The next round goes on after this page, or starts over once the end was reached.
    this.cursor = due.length === ROUND_USERS ? due[due.length - 1] : null;
    if (due.length === 0) return round;
    await this.repo.skipRead(due);
    const online = await this.presence.online(due);
    for (const userId of due) {
      if (this.stopped) break;
      if (online.has(userId)) continue;
      try {
        if (await this.sendDigest(userId)) round.sent += 1;
      } catch (err) {
        round.failed += 1;
        this.logger.warn({ err, userId }, 'digest email not sent; retried after the next window');
        await this.repo.deferDigest(userId).catch(() => undefined);
      }
    }
    return round;
  }

  /** Deletes old notifications and expired link tokens, a batch at a time. */
  async prune(): Promise<void> {
    let notifications = 0;
    let tokens = 0;
    for (let n = BATCH; n === BATCH && !this.stopped;) {
      n = await this.repo.pruneNotifications(KEEP_NOTIFICATIONS_MS, BATCH);
      notifications += n;
    }
    for (let n = BATCH; n === BATCH && !this.stopped;) {
      n = await this.repo.pruneTokens(BATCH);
      tokens += n;
    }
    if (notifications || tokens)
      this.logger.log(`pruned ${notifications} old notification(s) and ${tokens} expired email link(s)`);
  }

  /** Claims the user, and sends and records their digest under the claim. Whether one was sent. */
  private sendDigest(userId: string): Promise<boolean> {
    return this.repo.transaction(async (tx) => {
      const user = await tx.claim(userId, this.windowMs);
      if (!user) return false;
      const pending = await tx.pending(userId, this.windowMs, PER_DIGEST);
      // Only newer notifications are left unread: they wait until they are due themselves.
      if (!pending.some((p) => p.due)) return false;
      const { token, hash } = newEmailToken();
      await tx.addUnsubscribeToken(
        user.id,
        user.email,
        hash,
        new Date(Date.now() + UNSUBSCRIBE_TOKEN_TTL_MS),
      );
      await this.mailer.send(
        digestMail({
          to: user.email,
          username: user.username,
          items: pending.slice(0, LISTED),
          total: pending.length,
          publicUrl: this.config.publicUrl,
          unsubscribeUrl: unsubscribeEmailUrl(this.config.publicUrl, token),
        }),
      );
      await tx.markSent(
        user.id,
        pending.map((p) => p.id),
      );
      return true;
    });
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        // ±20 %: replicas drift apart instead of meeting on the same rows every round.
        if (!this.stopped) this.schedule(this.roundMs * (0.8 + Math.random() * 0.4));
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.runOnce();
      if (Date.now() >= this.nextPruneAt) {
        this.nextPruneAt = Date.now() + PRUNE_EVERY_MS * (0.8 + Math.random() * 0.4);
        await this.prune();
      }
    } catch (err) {
      // Postgres or Redis away: the next round tries again.
      this.logger.warn({ err }, 'digest round failed');
    }
  }
}
