import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/embedded';
import { startFrontDoor, WEB_CSP } from '../../scripts/lib/front-door';
import { request, startAuth, type Running } from '../support/apps';
import { newUser, startGateway, type TestUser } from '../support/gateway';
import { getFile, startMedia, TestDb, uploadFile, type RunningMedia } from '../support/media';

/**
 * What every HTTP answer of every service tells the browser (helmet's defaults, kept), what an
 * error body may contain, and the strict CSP the web client is served with.
 */
describe('security: HTTP headers and error bodies', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let media: RunningMedia;
  let door: Server;
  let doorUrl: string;
  let alice: TestUser;

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    [gw, media] = await Promise.all([
      startGateway(auth, { REDIS_URL: '' }),
      startMedia(auth, { REDIS_URL: '' }),
    ]);
    alice = await newUser(auth.url, 'alice');
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(
      join(webRoot, 'index.html'),
      '<!doctype html><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
    const port = await freePort();
    door = await startFrontDoor({ port, auth: auth.url, media: media.url, gateways: [gw.url], webRoot });
    doorUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    door?.closeAllConnections();
    await new Promise((r) => door?.close(r));
    await Promise.all([gw?.close(), media?.close()]);
    await auth?.close();
  });

  /** Answers of each service: success, not authenticated, unknown route, malformed body. */
  const answers = async () => {
    const token = alice.token;
    const calls: [string, string, string, string, { token?: string; raw?: string }][] = [
      ['auth', auth.url, 'GET', '/healthz', {}],
      ['auth', auth.url, 'GET', '/auth/me', { token }],
      ['auth', auth.url, 'GET', '/auth/me', {}],
      ['auth', auth.url, 'GET', '/auth/nope', {}],
      ['auth', auth.url, 'POST', '/auth/login', { raw: '{"username":' }],
      ['auth', auth.url, 'GET', '/auth/.well-known/jwks.json', {}],
      ['gateway', gw.url, 'GET', '/healthz', {}],
      ['gateway', gw.url, 'GET', '/channels', { token }],
      ['gateway', gw.url, 'GET', '/channels', {}],
      ['gateway', gw.url, 'GET', '/nope', {}],
      ['gateway', gw.url, 'POST', '/channels', { token, raw: '{"name":' }],
      ['gateway', gw.url, 'GET', '/metrics', {}],
      ['media', media.url, 'GET', '/healthz', {}],
      ['media', media.url, 'GET', '/files/00000000-0000-4000-8000-000000000000/meta', { token }],
      ['media', media.url, 'GET', '/files/00000000-0000-4000-8000-000000000000', {}],
      ['media', media.url, 'POST', '/files/uploads', { token, raw: '{"channelId":' }],
    ];
    return Promise.all(
      calls.map(async ([service, base, method, path, opts]) => ({
        what: `${service} ${method} ${path}${opts.token ? ' (signed in)' : ''}`,
        res: await request(base, method, path, opts),
      })),
    );
  };

  it('sends helmet’s protective headers on every answer of every service, and nothing that fingerprints it', async () => {
    for (const { what, res } of await answers()) {
      const h = res.headers;
      expect({
        what,
        nosniff: h.get('x-content-type-options'),
        frame: h.get('x-frame-options'),
        poweredBy: h.get('x-powered-by'),
        server: h.get('server'),
        referrer: h.get('referrer-policy'),
        coop: h.get('cross-origin-opener-policy'),
        corp: h.get('cross-origin-resource-policy'),
        crossDomain: h.get('x-permitted-cross-domain-policies'),
        dnsPrefetch: h.get('x-dns-prefetch-control'),
      }).toEqual({
        what,
        nosniff: 'nosniff',
        frame: 'SAMEORIGIN',
        poweredBy: null,
        server: null,
        referrer: 'no-referrer',
        coop: 'same-origin',
        corp: 'same-site',
        crossDomain: 'none',
        dnsPrefetch: 'off',
      });
      expect(
        Number(/max-age=(\d+)/.exec(h.get('strict-transport-security') ?? '')?.[1]),
      ).toBeGreaterThanOrEqual(15_552_000);
      const csp = h.get('content-security-policy') ?? '';
      expect({ what, csp }).toEqual({ what, csp: expect.stringMatching(/default-src 'self'/) });
      expect(csp).toMatch(/object-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'self'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    }
  });

  it('answers errors in the contract shape only: no stack, no internals, a request id to quote', async () => {
    const untraceable: string[] = [];
    for (const { what, res } of await answers()) {
      if (res.status < 400) continue;
      expect({ what, keys: Object.keys(res.body).sort() }).toEqual({
        what,
        keys: ['code', 'message', 'requestId', 'statusCode'],
      });
      expect(res.body.statusCode).toBe(res.status);
      expect(JSON.stringify(res.body)).not.toMatch(
        /\.ts:\d|\.js:\d|node_modules|Error:|at [A-Z]\w+\.|SELECT|typeorm/i,
      );
      // The id a user quotes to the operator, who finds the log line with it.
      if (res.headers.get('x-request-id') !== res.body.requestId || res.body.requestId === 'unknown') {
        untraceable.push(`${what}: body ${res.body.requestId}, header ${res.headers.get('x-request-id')}`);
      }
    }
    // Bodies the JSON parser rejects included: the id is given before the body is read.
    expect(untraceable).toEqual([]);
  });

  it('answers deeply nested JSON bodies 400 VALIDATION, not a server error, on every service', async () => {
    // 48 KB, under the 64 KB body limit: JSON.parse takes it, recursive transformers do not.
    const deep = '{"a":'.repeat(8000) + '1' + '}'.repeat(8000);
    const targets: [string, string, string][] = [
      ['auth', auth.url, '/auth/login'],
      ['gateway', gw.url, '/channels'],
      ['gateway', gw.url, '/dms'],
      ['media', media.url, '/files/uploads'],
    ];
    const got = [];
    for (const [service, base, path] of targets) {
      const res = await request(base, 'POST', path, { token: alice.token, raw: `{"name":${deep}}` });
      got.push({ service, path, status: res.status, code: res.body?.code });
    }
    // class-transformer recurses: without the depth check first the stack overflows (500).
    expect(got).toEqual(
      targets.map(([service, , path]) => ({ service, path, status: 400, code: 'VALIDATION' })),
    );
    // And the services are fine afterwards.
    for (const base of [auth.url, gw.url, media.url])
      expect((await request(base, 'GET', '/healthz')).status).toBe(200);
  });

  it('serves downloads with a sandboxing CSP of their own', async () => {
    const db = await TestDb.connect();
    try {
      const channelId = await db.channel(alice.id);
      const up = await uploadFile(
        media.url,
        alice.token,
        channelId,
        Buffer.from('hi\n'),
        'a.txt',
        'text/plain',
      );
      const got = await getFile(media.url, alice.token, up.body.id);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
    } finally {
      await db.close();
    }
  });

  it('serves the web client with a strict CSP: same-origin scripts only, no inline, no framing', async () => {
    for (const path of ['/', '/some/client/route', '/assets/app.js']) {
      const res = await fetch(`${doorUrl}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const csp = res.headers.get('content-security-policy');
      expect(csp).toBe(WEB_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const directives = Object.fromEntries(
      WEB_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(WEB_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });
});
