import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, parseTargetUrl, resolveAll, type ResolveAll } from './deliverable-url';

/** How long a receiver has to answer (headers) before the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Errors are stored for the owner to read; a receiver's long error text is cut here. */
const ERROR_TEXT_MAX = 300;

export const USER_AGENT = 'chat-webhooks/1';

/** One POST of one event to one receiver. */
export interface OutgoingPost {
  targetUrl: string;
  secret: string;
  event: string;
  /** Stable across retries of the same event: receivers deduplicate on it. */
  deliveryId: string;
  /** The exact bytes signed and sent. */
  body: string;
}

export interface AttemptResult {
  ok: boolean;
  /** The receiver's HTTP status; null when none came (refused, unreachable, timed out). */
  status: number | null;
  error: string | null;
}

export interface SenderOptions {
  allowedHosts: readonly string[];
  /** Name resolution for non-allowlisted hosts; the system resolver unless a test injects one. */
  resolve?: ResolveAll;
  timeoutMs?: number;
  /** Ends the attempt at once (a replica shutting down), without an answer. */
  signal?: AbortSignal;
}

/** `sha256=` and the hex HMAC-SHA256 of the body's bytes keyed with the webhook's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * POSTs one event. The target is re-checked now (an IP literal by its shape, a name by a lookup
 * whose every address must be public and to which the connection is pinned), redirects are not
 * followed (a 3xx is a failure: following one would reach a host nobody checked), and the
 * response body is not read. Never throws: every outcome is an AttemptResult.
 */
export async function postWebhook(post: OutgoingPost, opts: SenderOptions): Promise<AttemptResult> {
  let target: ReturnType<typeof parseTargetUrl>;
  try {
    target = parseTargetUrl(post.targetUrl, opts.allowedHosts);
  } catch (err) {
    return { ok: false, status: null, error: `refused: ${(err as Error).message}` };
  }
  const timeoutMs = opts.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const body = Buffer.from(post.body, 'utf8');
  const transport = target.url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', abort);
      req.destroy();
      resolve(result);
    };
    const req = transport.request(
      target.url,
      {
        method: 'POST',
        // A connection of its own: the pinned address is checked per connection, and no pooled
        // socket outlives the check.
        agent: false,
        lookup: target.allowed ? undefined : guardedLookup(opts.resolve ?? resolveAll),
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          'User-Agent': USER_AGENT,
          'X-Chat-Event': post.event,
          'X-Chat-Delivery': post.deliveryId,
          'X-Chat-Signature': signBody(post.secret, post.body),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', () => undefined);
        if (status >= 200 && status < 300) finish({ ok: true, status, error: null });
        else if (status >= 300 && status < 400)
          finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
        else finish({ ok: false, status, error: `HTTP ${status}` });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, status: null, error: describe(err) }),
    );
    const timer = setTimeout(
      () => finish({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const abort = () => finish({ ok: false, status: null, error: 'aborted: the replica is shutting down' });
    opts.signal?.addEventListener('abort', abort, { once: true });
    if (opts.signal?.aborted) abort();
    else req.end(body);
  });
}

function describe(err: NodeJS.ErrnoException): string {
  const text = err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
  return text.slice(0, ERROR_TEXT_MAX);
}
