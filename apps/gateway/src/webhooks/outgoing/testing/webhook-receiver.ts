import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookDeliveryBody } from '../delivery-worker';

/** One request a receiver got: what a webhook consumer would look at. */
export interface ReceivedAttempt {
  at: number;
  event: string;
  deliveryId: string;
  signature: string;
  raw: string;
  body: WebhookDeliveryBody;
  /** The status it answered; null while held (mode `hold`) or when the connection died first. */
  answered: number | null;
}

/** How the receiver answers: 2xx, an error status, or not at all until released. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'hold' };

/**
 * A real HTTP server playing an outgoing webhook's consumer, for e2e tests: records every attempt,
 * answers per its mode (or per `answer` for a given body), and can go away (connections refused)
 * and come back on the same port.
 */
export class WebhookReceiver {
  readonly attempts: ReceivedAttempt[] = [];
  mode: ReceiverMode = { kind: 'ok' };
  /** Per-event override of the mode (a receiver that rejects one particular message). */
  answer: ((body: WebhookDeliveryBody) => number | undefined) | null = null;
  private server: Server | null = null;
  private port = 0;
  private held: ServerResponse[] = [];
  private waiters: (() => void)[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: deliveries now meet ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    this.held = [];
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Answers the held requests with `status`. */
  release(status = 200): void {
    for (const res of this.held.splice(0)) if (!res.destroyed) res.writeHead(status).end();
  }

  /** Attempts the receiver answered 2xx, in arrival order. */
  accepted(): ReceivedAttempt[] {
    return this.attempts.filter((a) => a.answered !== null && a.answered >= 200 && a.answered < 300);
  }

  /** Resolves once `done()` holds, checked on every attempt; rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs: number, what = 'the receiver'): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clear();
        resolve();
      };
      const timer = setTimeout(() => {
        clear();
        reject(new Error(`timed out waiting for ${what}; got ${this.describe()}`));
      }, timeoutMs);
      const clear = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
    });
  }

  describe(): string {
    return JSON.stringify(this.attempts.map((a) => [a.event, a.body.seq, a.answered]));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const attempt: ReceivedAttempt = {
        at: Date.now(),
        event: String(req.headers['x-chat-event']),
        deliveryId: String(req.headers['x-chat-delivery']),
        signature: String(req.headers['x-chat-signature']),
        raw,
        body: JSON.parse(raw) as WebhookDeliveryBody,
        answered: null,
      };
      this.attempts.push(attempt);
      const status = this.answer?.(attempt.body) ?? (this.mode.kind === 'ok' ? 200 : undefined);
      if (status !== undefined) this.respond(res, attempt, status);
      else if (this.mode.kind === 'status') this.respond(res, attempt, this.mode.status);
      else {
        this.held.push(res);
        res.once('finish', () => (attempt.answered = res.statusCode));
      }
      for (const w of this.waiters.slice()) w();
    });
  }

  private respond(res: ServerResponse, attempt: ReceivedAttempt, status: number): void {
    attempt.answered = status;
    res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
  }
}

/** What a consumer checks: the signature is the HMAC of the exact bytes with the shared secret. */
export function signatureValid(secret: string, attempt: ReceivedAttempt): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(attempt.raw).digest('hex')}`);
  const given = Buffer.from(attempt.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
