import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  randomUUID,
  verify,
  type ECDH,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Web Push service for tests, on loopback: it hands out subscriptions whose keys it holds,
 * decrypts what arrives (RFC 8291 aes128gcm), checks the VAPID authorization (RFC 8292) and
 * answers what the test asks for. What it received is kept, in order, for assertions.
 */

/** How the receiver answers a request: a status, a status after a delay, or never. */
export type Answer = number | 'hang' | { status: number; delayMs: number };

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
  /** The `k=` key (base64url): the application server's public key. */
  key: string;
}

export interface ReceivedPush {
  subscriptionId: string;
  at: number;
  headers: IncomingMessage['headers'];
  /** What the answer was (`hang`: none; null while a delayed answer is pending). */
  status: number | 'hang' | null;
  /** The decrypted body, parsed as JSON (undefined when `error` is set). */
  payload?: any;
  vapid?: VapidClaims;
  /** Why the request is invalid (decryption, VAPID or headers); such a request is answered 400. */
  error?: string;
}

export interface TestSubscription {
  id: string;
  /** `{ endpoint, keys: { p256dh, auth } }`: what a browser's PushSubscription.toJSON() gives. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Answers for the next requests, in order; `fallback` once they are used up. */
  answers: Answer[];
  fallback: Answer;
}

interface Held {
  ecdh: ECDH;
  auth: Buffer;
  sub: TestSubscription;
}

export interface PushReceiver {
  origin: string;
  /** A new subscription with fresh keys (P-256 key pair, 16-byte auth secret). */
  subscribe(fallback?: Answer): TestSubscription;
  received: ReceivedPush[];
  /** What a subscription received and answered 2xx to, in arrival order. */
  delivered(sub: TestSubscription): ReceivedPush[];
  requests(sub: TestSubscription): ReceivedPush[];
  /** Resolves once `check` holds (checked on every request and every 50 ms). */
  waitFor(check: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Requests left hanging (`hang`), still open. */
  readonly hanging: number;
  close(): Promise<void>;
}

export async function startPushReceiver(): Promise<PushReceiver> {
  const subs = new Map<string, Held>();
  const received: ReceivedPush[] = [];
  const hung = new Set<ServerResponse>();
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let origin = '';

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = /^\/push\/([0-9a-f-]{36})$/.exec(req.url ?? '')?.[1];
      const held = id ? subs.get(id) : undefined;
      if (!held || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const entry: ReceivedPush = {
        subscriptionId: held.sub.id,
        at: Date.now(),
        headers: req.headers,
        status: null,
      };
      try {
        entry.vapid = verifyVapid(req.headers.authorization, origin);
        if (req.headers['content-encoding'] !== 'aes128gcm')
          throw new Error('Content-Encoding is not aes128gcm');
        if (!/^\d+$/.test(String(req.headers.ttl ?? ''))) throw new Error('TTL header missing');
        entry.payload = JSON.parse(
          decryptAes128gcm(Buffer.concat(chunks), held.ecdh, held.auth).toString('utf8'),
        );
      } catch (err) {
        entry.error = (err as Error).message;
      }
      received.push(entry);
      const answer = entry.error ? 400 : (held.sub.answers.shift() ?? held.sub.fallback);
      if (answer === 'hang') {
        entry.status = 'hang';
        hung.add(res);
        res.on('close', () => hung.delete(res));
        notify();
        return;
      }
      const [status, delayMs] = typeof answer === 'number' ? [answer, 0] : [answer.status, answer.delayMs];
      const reply = () => {
        entry.status = status;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : `status ${status}`);
        notify();
      };
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const requests = (sub: TestSubscription) => received.filter((r) => r.subscriptionId === sub.id);
  return {
    origin,
    received,
    subscribe: (fallback: Answer = 201) => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const id = randomUUID();
      const sub: TestSubscription = {
        id,
        json: {
          endpoint: `${origin}/push/${id}`,
          keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
        },
        answers: [],
        fallback,
      };
      subs.set(id, { ecdh, auth, sub });
      return sub;
    },
    requests,
    delivered: (sub) =>
      requests(sub).filter((r) => typeof r.status === 'number' && r.status >= 200 && r.status < 300),
    waitFor: (check, timeoutMs = 10_000, what = 'condition') =>
      new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          clearInterval(tick);
          waiters.delete(test);
        };
        const test = () => {
          if (!check()) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`push receiver: timed out waiting for ${what}`));
        }, timeoutMs);
        const tick = setInterval(test, 50);
        waiters.add(test);
        test();
      }),
    get hanging() {
      return hung.size;
    },
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const hmac = (key: Buffer, ...data: Buffer[]) => {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
};

/**
 * RFC 8291 §3.4 and RFC 8188: the aes128gcm body is salt (16) | record size (4) | key id length (1)
 * | key id (the sender's ephemeral public key) | one record, whose plaintext ends with the
 * last-record delimiter 0x02 and optional zero padding.
 */
export function decryptAes128gcm(body: Buffer, ecdh: ECDH, authSecret: Buffer): Buffer {
  if (body.length < 21) throw new Error('body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20];
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (idLength !== 65 || senderKey[0] !== 0x04) throw new Error('key id is not an uncompressed P-256 key');
  if (record.length > recordSize) throw new Error('more than one record');
  const shared = ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey]);
  const ikm = hmac(hmac(authSecret, shared), keyInfo, Buffer.from([1]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), Buffer.from([1])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), Buffer.from([1])).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (end === 0 || plain[end - 1] !== 0x02) throw new Error('no last-record delimiter');
  return plain.subarray(0, end - 1);
}

/**
 * RFC 8292: `Authorization: vapid t=<JWT>, k=<key>`; the JWT is ES256-signed with k's private key,
 * names the push resource's origin as `aud`, expires within 24 hours and names a contact in `sub`.
 */
export function verifyVapid(
  header: string | undefined,
  expectedAudience: string,
  now = Date.now(),
): VapidClaims {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(
    header ?? '',
  );
  if (!m) throw new Error(`Authorization is not "vapid t=…, k=…": ${header}`);
  const [, jwt, key] = m;
  const [h, p, s] = jwt.split('.');
  const jose = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (jose.alg !== 'ES256') throw new Error(`JWT alg ${jose.alg}`);
  const point = Buffer.from(key, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('k is not an uncompressed P-256 key');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (!signed) throw new Error('VAPID JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  if (claims.aud !== expectedAudience) throw new Error(`aud ${claims.aud} is not ${expectedAudience}`);
  const nowS = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowS || claims.exp > nowS + 24 * 3600)
    throw new Error(`exp ${claims.exp} is not within 24 hours`);
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    throw new Error(`sub ${claims.sub} is not a mailto: or https: contact`);
  return { aud: claims.aud, exp: claims.exp, sub: claims.sub, key };
}
