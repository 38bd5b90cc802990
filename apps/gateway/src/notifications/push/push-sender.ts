import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { generateRequestDetails, type Urgency } from 'web-push';
import type { Notification } from '@chat/contracts';
import { publicOnlyLookup } from './push-endpoint';

/** How long a push service keeps an undelivered push for an offline device. */
export const PUSH_TTL_SECONDS = 24 * 60 * 60;
/** A push service answers in milliseconds; past this the attempt counts as failed and is retried. */
export const REQUEST_DEADLINE_MS = 15_000;
/** What is read of a push service's answer: enough for an error text, never a hostile endpoint's stream. */
const RESPONSE_BYTES_MAX = 4096;

/** What the service worker receives: the notification, where a click goes, and what it replaces. */
export interface PushPayload extends Notification {
  /** The web client's permalink to the message. */
  url: string;
  /** One shown notification per channel: a newer one replaces it. */
  tag: string;
}

export function pushPayload(notification: Notification, publicUrl: string): PushPayload {
  const { kind, channelId, messageId, seq, title, body } = notification;
  return {
    kind,
    channelId,
    messageId,
    seq,
    title,
    body,
    url: `${publicUrl}/#/c/${encodeURIComponent(channelId)}/m/${seq}`,
    tag: `channel:${channelId}`,
  };
}

/**
 * RFC 8030 Topic: the push service itself replaces an undelivered push of the same topic, so a
 * phone that was offline receives the channel's newest notification, not the backlog. At most 32
 * base64url characters: a hash of the channel id.
 */
export function pushTopic(channelId: string): string {
  return createHash('sha256').update(channelId).digest('base64url').slice(0, 22);
}

export function pushUrgency(kind: Notification['kind']): Urgency {
  return kind === 'dm' || kind === 'mention' ? 'high' : 'normal';
}

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushVapid {
  subject: string;
  publicKey: string;
  privateKey: string;
}

export type PushRequest = ReturnType<typeof generateRequestDetails>;

/** A push service's answer. */
export interface PushAnswer {
  status: number;
  /** Retry-After in milliseconds, when the service sent one. */
  retryAfterMs?: number;
  text: string;
}

/**
 * Sends one push. web-push encrypts the payload (RFC 8291 aes128gcm) and signs the VAPID header
 * (RFC 8292); the request itself is ours, because `sendNotification` reads the whole answer into
 * memory, bounds only socket idle time and cannot vet the addresses it connects to, and the
 * endpoint is a URL a client chose. Connections are reused per push service (keep-alive).
 */
export class PushSender {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(
    private readonly vapid: PushVapid,
    allowedHosts: readonly string[],
    maxSockets: number,
  ) {
    const lookup = publicOnlyLookup(allowedHosts);
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, lookup });
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, lookup });
  }

  /**
   * The encrypted, signed request for one push. Throws when web-push cannot encrypt to the
   * subscription's keys (checked at subscription, so only for rows older than that check).
   */
  prepare(target: PushTarget, payload: PushPayload): PushRequest {
    return generateRequestDetails(
      { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
      JSON.stringify(payload),
      {
        vapidDetails: this.vapid,
        TTL: PUSH_TTL_SECONDS,
        urgency: pushUrgency(payload.kind),
        topic: pushTopic(payload.channelId),
        contentEncoding: 'aes128gcm',
      },
    );
  }

  /** Rejects on a network error, the deadline or `signal`; resolves with any HTTP answer. */
  post(details: PushRequest, signal: AbortSignal): Promise<PushAnswer> {
    const url = new URL(details.endpoint);
    const client = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(REQUEST_DEADLINE_MS)]);
    return new Promise<PushAnswer>((resolve, reject) => {
      const req = client.request(
        url,
        { method: 'POST', headers: details.headers, agent, signal: deadline },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size >= RESPONSE_BYTES_MAX) return;
            chunks.push(chunk);
            size += chunk.length;
            // Enough to report: the rest is not read, and the connection is not reused.
            if (size >= RESPONSE_BYTES_MAX) res.destroy();
          });
          const done = () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfterMs: retryAfterMs(res.headers['retry-after']),
              text: Buffer.concat(chunks).subarray(0, RESPONSE_BYTES_MAX).toString('utf8'),
            });
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        },
      );
      req.on('error', reject);
      req.end(details.body);
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
