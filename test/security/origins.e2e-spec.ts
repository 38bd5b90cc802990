import type { Server } from 'node:http';
import { startFrontDoor } from '../../scripts/lib/front-door';
import { freePort } from '../../scripts/lib/embedded';
import { request, startAuth, type Running } from '../support/apps';
import { connect, newUser, refusal, startGateway, type TestSocket, type TestUser } from '../support/gateway';
import { RawSocket } from './support/raw-socket';

const ALLOWED = 'https://chat.example.com';

/** Origins a browser could send from a page that is not ours, including near-misses of ours. */
const FOREIGN = [
  'https://evil.example',
  'null',
  'http://chat.example.com',
  'https://chat.example.com:8443',
  'https://chat.example.com.evil.example',
  'https://evilchat.example.com',
  'https://sub.chat.example.com',
  `${ALLOWED}, https://evil.example`,
];

/**
 * Cross-site WebSocket hijacking: CORS does not apply to WebSockets, so a page on any site can open
 * one to the gateway with the user's cookies/tokens it can reach. The handshake must be refused for
 * any Origin outside CORS_ORIGINS, on the WebSocket and the polling transport, directly and
 * through the front door; requests without an Origin (non-browser clients) and from our own
 * origin get in.
 */
describe('security: handshake origins', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let door: Server;
  let doorUrl: string;
  let alice: TestUser;
  const sockets: (TestSocket | RawSocket)[] = [];

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    gw = await startGateway(auth, { REDIS_URL: '', CORS_ORIGINS: ALLOWED });
    const port = await freePort();
    door = await startFrontDoor({ port, auth: auth.url, media: auth.url, gateways: [gw.url] });
    doorUrl = `http://127.0.0.1:${port}`;
    alice = await newUser(auth.url, 'alice');
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    door?.closeAllConnections();
    await new Promise((r) => door?.close(r));
    await gw?.close();
    await auth?.close();
  });

  const targets = () => [
    { via: 'gateway', url: gw.url },
    { via: 'front door', url: doorUrl },
  ];

  it('refuses a WebSocket handshake from every foreign origin before any socket.io packet', async () => {
    for (const { via, url } of targets()) {
      for (const origin of FOREIGN) {
        let outcome: string;
        try {
          const s = await RawSocket.open(url, { headers: { origin }, query: { token: alice.token } });
          sockets.push(s);
          outcome = 'opened';
        } catch (err) {
          outcome = (err as { status?: number }).status ? 'refused' : `failed: ${(err as Error).message}`;
        }
        expect({ via, origin, outcome }).toEqual({ via, origin, outcome: 'refused' });
      }
      // The socket.io client sees a transport error, not a session.
      const viaClient = await refusal(url, alice.token, { extraHeaders: { origin: FOREIGN[0] } });
      expect(viaClient.message).toMatch(/websocket error/);
    }
  });

  it('refuses the polling transport from every foreign origin, without CORS headers for it', async () => {
    for (const { via, url } of targets()) {
      for (const origin of FOREIGN) {
        const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
        const body = await res.text();
        expect({ via, origin, status: res.status, sid: body.includes('"sid"') }).toEqual({
          via,
          origin,
          status: 403,
          sid: false,
        });
        expect(res.headers.get('access-control-allow-origin')).not.toBe(origin);
      }
      const viaClient = await refusal(url, alice.token, {
        transports: ['polling'],
        extraHeaders: { origin: FOREIGN[0] },
      });
      expect(viaClient.message).toMatch(/xhr poll error/);
    }
  });

  it('lets our own origin and clients without an Origin in, on both transports', async () => {
    for (const { via, url } of targets()) {
      for (const headers of [{ origin: ALLOWED }, {}] as Record<string, string>[]) {
        const raw = await RawSocket.open(url, { headers });
        sockets.push(raw);
        expect({ via, headers, connected: (await raw.connect({ token: alice.token })).ok }).toEqual({
          via,
          headers,
          connected: true,
        });
        const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers });
        expect({ via, headers, status: polling.status }).toEqual({ via, headers, status: 200 });
        if (headers.origin) expect(polling.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        const client = await connect(url, alice.token, { extraHeaders: headers });
        sockets.push(client);
        expect(client.connected).toBe(true);
      }
    }
  });

  it('answers REST preflights from foreign origins without allowing them', async () => {
    for (const origin of FOREIGN) {
      const res = await fetch(`${gw.url}/channels`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect({ origin, allow: res.headers.get('access-control-allow-origin') }).toEqual({
        origin,
        allow: null,
      });
    }
    const ours = await fetch(`${gw.url}/channels`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });
    expect(ours.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    // Credentials are never allowed cross-origin: tokens travel in headers, never cookies.
    expect(ours.headers.get('access-control-allow-credentials')).toBeNull();
    const authed = await request(gw.url, 'GET', '/channels', {
      token: alice.token,
      headers: { origin: FOREIGN[0] },
    });
    expect(authed.headers.get('access-control-allow-origin')).toBeNull();
  });
});
