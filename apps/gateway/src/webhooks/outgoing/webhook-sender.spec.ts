import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedLookup } from './deliverable-url';
import { postWebhook, signBody, type OutgoingPost } from './webhook-sender';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real receiver on loopback answering with `respond`; records what it got. */
async function receiver(
  respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end(),
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const post = (targetUrl: string, body = '{"event":"message:new","text":"héllo ✓"}'): OutgoingPost => ({
  targetUrl,
  secret: 's3cret-key',
  event: 'message:new',
  deliveryId: '8d5c51a4-7f0e-4d0e-9a43-9b1f0b0b9c11',
  body,
});
const LOOPBACK_ALLOWED = { allowedHosts: ['127.0.0.1'] };

describe('postWebhook', () => {
  it('posts the exact body with its headers and an HMAC-SHA256 signature the receiver can verify', async () => {
    const r = await receiver();
    const sent = post(`${r.url}/hook?x=1`);
    expect(await postWebhook(sent, LOOPBACK_ALLOWED)).toEqual({ ok: true, status: 204, error: null });
    expect(r.got).toHaveLength(1);
    const [{ headers, body }] = r.got;
    expect(body).toBe(sent.body);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe('chat-webhooks/1');
    expect(headers['x-chat-event']).toBe('message:new');
    expect(headers['x-chat-delivery']).toBe(sent.deliveryId);
    const expected = createHmac('sha256', 's3cret-key').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(headers['x-chat-signature']).toBe(`sha256=${expected}`);
    expect(signBody('another key', body)).not.toBe(headers['x-chat-signature']);
  });

  it('counts a non-2xx answer as a failure, with its status', async () => {
    const r = await receiver((_req, res) => res.writeHead(503).end('busy'));
    expect(await postWebhook(post(r.url), LOOPBACK_ALLOWED)).toEqual({
      ok: false,
      status: 503,
      error: 'HTTP 503',
    });
  });

  it('does not follow a redirect (to an internal address or anywhere): a 3xx is a failure', async () => {
    const inside = await receiver();
    const r = await receiver((_req, res) => res.writeHead(307, { Location: `${inside.url}/admin` }).end());
    const result = await postWebhook(post(r.url), LOOPBACK_ALLOWED);
    expect(result).toMatchObject({ ok: false, status: 307 });
    expect(result.error).toMatch(/redirect/);
    expect(inside.got).toHaveLength(0);
  });

  it('reports a refused connection', async () => {
    const r = await receiver();
    await new Promise((resolve) => r.server.close(resolve));
    servers.splice(servers.indexOf(r.server), 1);
    const result = await postWebhook(post(r.url), LOOPBACK_ALLOWED);
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    await receiver(() => undefined).then(async (r) => {
      const result = await postWebhook(post(r.url), { ...LOOPBACK_ALLOWED, timeoutMs: 300 });
      expect(result).toEqual({ ok: false, status: null, error: 'no answer within 300 ms' });
      expect(r.got).toHaveLength(1);
    });
  });

  it('ends an attempt at once when its replica shuts down', async () => {
    const r = await receiver(() => undefined);
    const shutdown = new AbortController();
    const attempt = postWebhook(post(r.url), { ...LOOPBACK_ALLOWED, signal: shutdown.signal });
    await new Promise<void>((resolve) => {
      const wait = () => (r.got.length > 0 ? resolve() : setTimeout(wait, 10));
      wait();
    });
    shutdown.abort();
    expect(await attempt).toEqual({
      ok: false,
      status: null,
      error: 'aborted: the replica is shutting down',
    });
  });

  it('refuses an internal IP literal at delivery time unless allowlisted, without connecting', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    for (const url of [
      `http://127.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
    ]) {
      const result = await postWebhook(post(url), { allowedHosts: [] });
      expect(result).toMatchObject({ ok: false, status: null });
      expect(result.error).toMatch(/^refused: /);
    }
    expect(r.got).toHaveLength(0);
  });

  it('refuses a name that now resolves to loopback (DNS rebinding), without connecting', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    let answer: LookupAddress[] = [{ address: '93.184.215.14', family: 4 }];
    const resolve = () => Promise.resolve(answer);
    // Checked at creation against a public address; the name has since been pointed at loopback.
    answer = [{ address: '127.0.0.1', family: 4 }];
    const result = await postWebhook(post(`http://hooks.rebind.test:${port}/`), {
      allowedHosts: [],
      resolve,
    });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/refused: .*loopback/);
    expect(r.got).toHaveLength(0);
    // A name answering one public and one internal address is refused as a whole.
    answer = [
      { address: '93.184.215.14', family: 4 },
      { address: '::1', family: 6 },
    ];
    expect(
      (await postWebhook(post(`http://hooks.rebind.test:${port}/`), { allowedHosts: [], resolve })).error,
    ).toMatch(/refused/);
    // localhost through the system resolver, as a receiver might be configured.
    expect((await postWebhook(post(`http://localhost:${port}/`), { allowedHosts: [] })).error).toMatch(
      /refused/,
    );
    expect(r.got).toHaveLength(0);
  });

  it('delivers to an allowlisted name through the system resolver', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const result = await postWebhook(post(`http://localhost:${port}/`), { allowedHosts: ['localhost'] });
    // localhost may resolve to ::1 first where the receiver is not listening; either way it was tried.
    if (result.ok) expect(r.got).toHaveLength(1);
    else expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('guardedLookup', () => {
  const call = (
    lookup: ReturnType<typeof guardedLookup>,
    options: { all?: boolean; family?: number },
  ): Promise<{ err: Error | null; address: unknown; family?: number }> =>
    new Promise((resolve) =>
      lookup('hooks.example.com', options, (err, address, family) => resolve({ err, address, family })),
    );

  it('hands the socket exactly the addresses it checked', async () => {
    const checked: LookupAddress[] = [
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ];
    const lookup = guardedLookup(() => Promise.resolve(checked));
    expect(await call(lookup, { all: true })).toEqual({ err: null, address: checked, family: undefined });
    expect(await call(lookup, {})).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    expect(await call(lookup, { family: 6 })).toEqual({
      err: null,
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
  });

  it('fails the connection when any address is internal, or resolution fails', async () => {
    const bad = guardedLookup(() =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ]),
    );
    expect((await call(bad, { all: true })).err?.message).toMatch(/refused/);
    const failing = guardedLookup(() =>
      Promise.reject(
        Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' }),
      ),
    );
    expect((await call(failing, {})).err?.message).toMatch(/ENOTFOUND/);
  });
});
