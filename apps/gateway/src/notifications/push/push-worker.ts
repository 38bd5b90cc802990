import { createECDH } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { endpointProblem } from './push-endpoint';
import { decodeBase64Url, isP256Point } from './push-keys';
import {
  PushSender,
  REQUEST_DEADLINE_MS,
  type PushAnswer,
  type PushPayload,
  type PushRequest,
} from './push-sender';
import { PushRepository, type ClaimedPush } from './push.repository';

/** Sends under way per replica: bounds sockets and memory whatever the backlog. */
export const PUSH_CONCURRENCY = 16;
/**
 * How long a claimed row is this replica's. Longer than a send can take (REQUEST_DEADLINE_MS), so
 * a live replica never loses a row it is sending; a replica that dies hands its rows on after this.
 */
export const PUSH_LEASE_MS = 2 * REQUEST_DEADLINE_MS;
/** How often each replica looks for due rows queued elsewhere (its own enqueues wake it at once). */
export const PUSH_POLL_MS = 1000;
const POLL_FAILED_MS = 5 * PUSH_POLL_MS;
/** First retry after about this; doubling per attempt up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 60 * 60_000;
/** A push not delivered within this of being queued is given up (as long as push services keep one, TTL). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
/** A stopping replica waits this long for its sends, then hands the rest back (within the stop deadline). */
const STOP_GRACE_MS = 3_000;

/**
 * The delay before retry number `attempts + 1`: exponential, capped, with jitter (a random point
 * in the upper half), so the pushes that failed together during an outage do not return together.
 */
export function retryDelayMs(attempts: number, random = Math.random()): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts, 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** What to do with a row after a push service's answer. */
export type Outcome = 'delivered' | 'gone' | 'refused' | 'retry';

export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 404 || status === 410) return 'gone';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  // Any other 4xx (a payload or key the service refuses) would be refused again.
  return 'refused';
}

/**
 * Delivers the push outbox, on every replica: claims due rows under a lease (rows another replica
 * claims are skipped), sends at most PUSH_CONCURRENCY at a time, and settles each by the push
 * service's answer. Off when no VAPID key pair is configured.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(PushWorker.name);
  private readonly sender: PushSender | null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborts the sends still running when the stop grace is over. */
  private readonly stopping = new AbortController();
  private timer?: NodeJS.Timeout;
  private polling = false;
  /** A wake-up arrived while polling: poll again right after. */
  private again = false;
  private started = false;
  private readonly allowedHosts: readonly string[];

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly repo: PushRepository,
  ) {
    const { vapidPublicKey, vapidPrivateKey, vapidSubject } = config.push;
    this.allowedHosts = config.webhooks.allowedHosts;
    assertVapidPair(vapidPublicKey, vapidPrivateKey);
    this.sender =
      vapidPublicKey && vapidPrivateKey
        ? new PushSender(
            { subject: vapidSubject, publicKey: vapidPublicKey, privateKey: vapidPrivateKey },
            config.webhooks.allowedHosts,
            PUSH_CONCURRENCY,
          )
        : null;
  }

  get enabled(): boolean {
    return this.sender !== null;
  }

  onApplicationBootstrap(): void {
    if (!this.sender) return;
    this.started = true;
    this.schedule(0);
  }

  /** Looks for due rows now (something was just queued). */
  wake(): void {
    if (!this.started || this.stopping.signal.aborted) return;
    if (this.polling) this.again = true;
    else this.schedule(0);
  }

  /** Stop claiming first (this runs before the socket server's drain), so sends finish meanwhile. */
  onModuleDestroy(): void {
    this.started = false;
    clearTimeout(this.timer);
  }

  /** Lets the sends under way finish, for at most STOP_GRACE_MS; the rest go back to the queue. */
  async beforeApplicationShutdown(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS)));
      await Promise.race([Promise.all(this.inFlight), grace]);
      clearTimeout(timer);
      this.stopping.abort();
      await Promise.all(this.inFlight);
    }
    this.stopping.abort();
    this.sender?.close();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (!this.started || this.polling) return;
    this.polling = true;
    let claimed: ClaimedPush[] = [];
    const room = PUSH_CONCURRENCY - this.inFlight.size;
    let failed = false;
    try {
      if (room > 0) claimed = await this.repo.claim(room, PUSH_LEASE_MS);
    } catch (err) {
      failed = true;
      this.logger.warn({ err }, 'push outbox poll failed');
    } finally {
      this.polling = false;
    }
    for (const push of claimed) this.track(this.deliver(push));
    if (!this.started) return;
    // Postgres unreachable: the rows are safe there; ask less often than once a second meanwhile.
    if (failed) return this.schedule(POLL_FAILED_MS);
    // A full batch suggests more are due: continue as soon as a slot frees (see track).
    const more = this.again || (room > 0 && claimed.length === room);
    this.again = false;
    if (more && this.inFlight.size < PUSH_CONCURRENCY) this.schedule(0);
    else if (!more) this.schedule(PUSH_POLL_MS);
  }

  private track(send: Promise<void>): void {
    const tracked = send.finally(() => {
      this.inFlight.delete(tracked);
      // A slot freed while the backlog waits: claim more now rather than at the next tick.
      if (this.started && !this.polling && this.inFlight.size === PUSH_CONCURRENCY - 1) this.schedule(0);
    });
    this.inFlight.add(tracked);
  }

  /** Sends one claimed row and settles it; never rejects (a failure leaves the row to its lease). */
  private async deliver(push: ClaimedPush): Promise<void> {
    const sender = this.sender!;
    let request: PushRequest;
    // Checked again at each send: the operator's allowlist may have changed since the subscription.
    const problem = endpointProblem(push.endpoint, this.allowedHosts);
    if (problem) return this.undeliverable(push, problem);
    try {
      request = sender.prepare(push, push.payload as unknown as PushPayload);
    } catch (err) {
      // Keys were checked at subscription and the payload is bounded: not worth a retry, nor the subscription.
      this.logger.warn({ outboxId: push.id, err: describe(err) }, 'push not encryptable; given up');
      return this.settle(push, () => this.repo.giveUp(push));
    }
    let answer: PushAnswer | undefined;
    let failure: string | undefined;
    try {
      answer = await sender.post(request, this.stopping.signal);
    } catch (err) {
      failure = describe(err);
      if (this.stopping.signal.aborted) return this.settle(push, () => this.repo.release(push));
      // An endpoint whose name leads inside the cluster: never deliverable.
      if ((err as NodeJS.ErrnoException).code === 'EPUSHINTERNAL') return this.undeliverable(push, failure);
    }
    const outcome = answer ? outcomeOf(answer.status) : 'retry';
    if (answer && outcome !== 'delivered') failure = `HTTP ${answer.status} ${answer.text}`.trim();
    await this.settle(push, async () => {
      if (outcome === 'delivered') return this.repo.delivered(push);
      if (outcome === 'gone') return this.repo.dropSubscription(push.subscription_id);
      const expired = Date.now() - new Date(push.created_at).getTime() > GIVE_UP_AFTER_MS;
      if (outcome === 'refused' || expired) {
        this.logger.warn({ outboxId: push.id, error: failure, attempts: push.attempts + 1 }, 'push given up');
        return this.repo.giveUp(push);
      }
      const delay = Math.max(retryDelayMs(push.attempts), Math.min(answer?.retryAfterMs ?? 0, RETRY_MAX_MS));
      return this.repo.retryLater(push, new Date(Date.now() + delay), failure ?? 'unknown error');
    });
  }

  private async undeliverable(push: ClaimedPush, why: string): Promise<void> {
    this.logger.warn({ subscriptionId: push.subscription_id, why }, 'push subscription dropped');
    await this.settle(push, () => this.repo.dropSubscription(push.subscription_id));
  }

  private async settle(push: ClaimedPush, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      // The lease lapses and the row is sent again: at least once, never lost.
      this.logger.warn({ err, outboxId: push.id }, 'push outcome not recorded');
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Refuses to boot with half a key pair or keys web-push cannot sign with: every send would fail,
 * and the subscriptions browsers made with the public key would be lost for nothing.
 */
export function assertVapidPair(publicKey: string, privateKey: string): void {
  if (!publicKey && !privateKey) return;
  const fail = (what: string) => {
    throw new Error(`Invalid configuration:\n  ${what}`);
  };
  if (!publicKey || !privateKey) fail('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both, or neither');
  const pub = decodeBase64Url(publicKey);
  if (!pub || !isP256Point(pub)) fail('VAPID_PUBLIC_KEY: not a base64url uncompressed P-256 public key');
  const priv = decodeBase64Url(privateKey);
  if (!priv || priv.length !== 32) fail('VAPID_PRIVATE_KEY: not a base64url 32-byte P-256 private key');
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(priv!);
  } catch {
    fail('VAPID_PRIVATE_KEY: not a P-256 private key');
  }
  if (!ecdh.getPublicKey().equals(pub!)) fail('VAPID_PUBLIC_KEY: does not belong to VAPID_PRIVATE_KEY');
}
