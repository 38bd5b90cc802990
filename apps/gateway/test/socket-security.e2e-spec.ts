import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { request, startAuth, uniqueName, type JsonResponse, type Running } from '../../../test/support/apps';
import { SocketHub } from '../src/infra/socket-hub';
import {
  api,
  connect,
  disconnected,
  Inbox,
  loginAdmin,
  newUser,
  refusal,
  send,
  sendRaw,
  setRoles,
  sleep,
  sql,
  closeSql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

const ALLOWED_ORIGIN = 'https://chat.example.com';
const EVIL_ORIGIN = 'https://evil.example';
const NIL = '00000000-0000-4000-8000-000000000000';

/**
 * What a hostile or unlucky client meets: handshake authentication and origin checks, malformed
 * commands, rate limits, token expiry, bans and live role changes. Single-process mode.
 */
describe('gateway socket security', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  const PASSWORD = 'password-123';
  let keysDir: string;
  let auth: Running & { jwksUrl: string };
  /** Signs with the same key as `auth`, but access tokens live 2 s. */
  let shortAuth: Running & { jwksUrl: string };
  let gw: Running;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let privateOfBob: string;
  let publicChannel: string;
  const sockets: TestSocket[] = [];

  const open = async (user: TestUser, opts = {}) => {
    const socket = await connect(gw.url, user.token, opts);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'chat-keys-'));
    const adminName = uniqueName('admin');
    auth = await startAuth({
      REDIS_URL: '',
      JWT_KEYS_DIR: keysDir,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD,
    });
    shortAuth = await startAuth({ REDIS_URL: '', JWT_KEYS_DIR: keysDir, ACCESS_TOKEN_TTL_SECONDS: '2' });
    gw = await startGateway(auth, { REDIS_URL: '', CORS_ORIGINS: ALLOWED_ORIGIN });
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
    privateOfBob = (
      await api(gw.url, bob)('POST', '/channels', { name: uniqueName('bobs'), kind: 'private' })
    ).body.id;
    publicChannel = (
      await api(gw.url, alice)('POST', '/channels', { name: uniqueName('pub'), kind: 'public' })
    ).body.id;
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await gw?.close();
    await shortAuth?.close();
    await auth?.close();
    await closeSql();
  });

  describe('handshake', () => {
    it('accepts a token in auth.token or in ?token=', async () => {
      expect((await open(alice)).connected).toBe(true);
      const viaQuery = await connect(gw.url, undefined, { query: { token: alice.token } });
      sockets.push(viaQuery);
      expect(viaQuery.connected).toBe(true);
    });

    it('does not keep the access token once the handshake is done', async () => {
      await open(alice);
      sockets.push(await connect(gw.url, undefined, { query: { token: bob.token } }));
      const io = gw.app.get(SocketHub).io!;
      const handshakes = (await io.fetchSockets()).map((s) => s.handshake);
      expect(handshakes.length).toBeGreaterThanOrEqual(2);
      for (const h of handshakes) {
        expect(h.auth).not.toHaveProperty('token');
        expect(h.query).not.toHaveProperty('token');
      }
    });

    it('answers socket.io polling with the same security headers as the REST API', async () => {
      const polling = await request(gw.url, 'GET', '/socket.io/?EIO=4&transport=polling');
      expect(polling.status).toBe(200);
      const rest = await request(gw.url, 'GET', '/channels', { token: alice.token });
      const security = [
        'content-security-policy',
        'cross-origin-opener-policy',
        'cross-origin-resource-policy',
        'referrer-policy',
        'strict-transport-security',
        'x-content-type-options',
        'x-frame-options',
      ];
      for (const name of security) {
        expect([name, polling.headers.get(name)]).toEqual([name, rest.headers.get(name)]);
        expect(polling.headers.get(name)).toBeTruthy();
      }
      expect(polling.headers.get('x-content-type-options')).toBe('nosniff');
      expect(polling.headers.get('x-powered-by')).toBeNull();
    });

    it('refuses missing, malformed, forged, refresh and expired tokens with UNAUTHORIZED', async () => {
      const { kid } = jwt.decode(alice.token, { complete: true })!.header;
      const claims = jwt.decode(alice.token) as Record<string, unknown>;
      const { privateKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = jwt.sign({ ...claims }, otherKey, { algorithm: 'ES256', keyid: kid });
      const unsigned = jwt.sign({ ...claims }, '', { algorithm: 'none' });
      const hs256 = jwt.sign({ ...claims }, 'secret', { algorithm: 'HS256', keyid: kid });
      const login = await request(shortAuth.url, 'POST', '/auth/login', {
        body: { username: alice.username, password: PASSWORD },
      });
      expect(login.status).toBe(200);
      const refreshToken: string = login.body.refreshToken;
      await sleep(3100);
      const expired: string = login.body.accessToken;
      for (const [what, token] of [
        ['missing', undefined],
        ['garbage', 'not-a-jwt'],
        ['forged', forged],
        ['alg none', unsigned],
        ['HS256', hs256],
        ['refresh token', refreshToken],
        ['expired', expired],
        ['huge', 'x'.repeat(10_000)],
      ] as const) {
        const err = await refusal(gw.url, token);
        expect({ what, message: err.message, code: err.data?.code }).toEqual({
          what,
          message: 'UNAUTHORIZED',
          code: 'UNAUTHORIZED',
        });
      }
      const wrongType = await refusal(gw.url, undefined, { auth: { token: { $ne: '' } } });
      expect(wrongType.message).toBe('UNAUTHORIZED');
    });

    it('refuses a banned user’s token', async () => {
      const carol = await newUser(auth.url, 'carol');
      expect(
        (await request(auth.url, 'POST', `/auth/users/${carol.id}/ban`, { token: admin.token })).status,
      ).toBe(204);
      expect((await refusal(gw.url, carol.token)).message).toBe('UNAUTHORIZED');
    });

    it('checks a token it verified before as strictly again: a tampered copy, then a ban', async () => {
      const dave = await newUser(auth.url, 'dave');
      (await open(dave)).close();
      // The same header and payload with another signature is another token: fully checked, refused.
      const [head, payload, signature] = dave.token.split('.');
      const middle = Math.floor(signature.length / 2);
      const flipped = signature[middle] === 'A' ? 'B' : 'A';
      const tampered = `${head}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
      expect((await refusal(gw.url, tampered)).message).toBe('UNAUTHORIZED');
      // The token itself comes back without a signature check, as the right user.
      const again = await open(dave);
      expect(await send(again, 'presence:subscribe', { userIds: [dave.id] })).toMatchObject({ ok: true });
      const io = gw.app.get(SocketHub).io!;
      const mine = (await io.fetchSockets()).find((s) => s.id === again.id);
      expect(mine?.data.user).toMatchObject({ id: dave.id, username: dave.username });
      again.close();
      expect(
        (await request(auth.url, 'POST', `/auth/users/${dave.id}/ban`, { token: admin.token })).status,
      ).toBe(204);
      // Without Redis this gateway hears of the ban only from the users table, read again once its
      // 3 s status cache runs out.
      await sleep(3_100);
      expect((await refusal(gw.url, dave.token)).message).toBe('UNAUTHORIZED');
    });

    it('refuses a browser page from a foreign origin, over WebSocket and polling alike', async () => {
      const ws = await refusal(gw.url, alice.token, { extraHeaders: { origin: EVIL_ORIGIN } });
      expect(ws.message).toMatch(/websocket error/);
      const pollingOpts = { transports: ['polling'], disableHeaderCheck: true } as never;
      const polling = await refusal(gw.url, alice.token, {
        ...(pollingOpts as object),
        extraHeaders: { origin: EVIL_ORIGIN },
      });
      expect(polling.message).toMatch(/xhr poll error/);
      const raw = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: EVIL_ORIGIN },
      });
      expect(raw.status).toBe(403);
      // The same clients from the allowed origin, or with no Origin at all, get in.
      const okRaw = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: ALLOWED_ORIGIN },
      });
      expect(okRaw.status).toBe(200);
      expect(okRaw.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect((await open(alice, { extraHeaders: { origin: ALLOWED_ORIGIN } })).connected).toBe(true);
      expect(
        (await open(alice, { ...(pollingOpts as object), extraHeaders: { origin: ALLOWED_ORIGIN } }))
          .connected,
      ).toBe(true);
    });
  });

  describe('hostile commands', () => {
    it('answers every malformed command with the right code and keeps serving', async () => {
      const socket = await open(alice);
      const ownMessage = await send(socket, 'message:send', { channelId: publicChannel, body: 'mine' });
      const bobsMessage = (
        await api(gw.url, bob)('POST', `/channels/${privateOfBob}/messages`, { body: 'bob only' })
      ).body;
      const long = 'x'.repeat(4001);
      const table: [string, unknown[], string][] = [
        ['message:send', [], 'VALIDATION'],
        ['message:send', [null], 'VALIDATION'],
        ['message:send', ['a string'], 'VALIDATION'],
        ['message:send', [42], 'VALIDATION'],
        ['message:send', [[publicChannel, 'hi']], 'VALIDATION'],
        ['message:send', [{}], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel }], 'VALIDATION'],
        ['message:send', [{ body: 'hi' }], 'VALIDATION'],
        ['message:send', [{ channelId: 'general', body: 'hi' }], 'VALIDATION'],
        ['message:send', [{ channelId: { $gt: '' }, body: 'hi' }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 7 }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: { text: 'hi' } }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: '' }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: ' \n\t ' }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: long }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', clientId: 'c'.repeat(65) }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', clientId: 5 }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', attachmentIds: 'x' }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', attachmentIds: ['x'] }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', attachmentIds: [NIL, NIL] }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi', admin: true }], 'VALIDATION'],
        ['message:send', [{ channelId: publicChannel, body: 'hi' }, 'extra'], 'VALIDATION'],
        ['message:send', [{ channelId: privateOfBob, body: 'let me in' }], 'NOT_FOUND'],
        ['message:send', [{ channelId: NIL, body: 'nowhere' }], 'NOT_FOUND'],
        ['message:edit', [{ messageId: bobsMessage.id, body: 'mine now' }], 'NOT_FOUND'],
        ['message:edit', [{ messageId: ownMessage.ok && ownMessage.message.id }], 'VALIDATION'],
        ['message:edit', [{ messageId: ownMessage.ok && ownMessage.message.id, body: long }], 'VALIDATION'],
        ['message:edit', [{ messageId: 12, body: 'x' }], 'VALIDATION'],
        ['message:delete', [{ messageId: bobsMessage.id }], 'NOT_FOUND'],
        ['message:delete', [{ messageId: [] }], 'VALIDATION'],
        ['message:delete', ['x'], 'VALIDATION'],
        ['channel:sync', [{ channelId: privateOfBob, afterSeq: 0 }], 'NOT_FOUND'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: -1 }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: 1.5 }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: '0' }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: 0, limit: 0 }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: 0, limit: 101 }], 'VALIDATION'],
        ['channel:sync', [{ channelId: publicChannel, afterSeq: 1e300 }], 'VALIDATION'],
        ['channel:read', [{ channelId: privateOfBob, seq: 1 }], 'NOT_FOUND'],
        ['channel:read', [{ channelId: publicChannel, seq: 'all' }], 'VALIDATION'],
        ['channel:read', [{ channelId: publicChannel, seq: 2 ** 60 }], 'VALIDATION'],
        ['typing', [{ channelId: privateOfBob, typing: true }], 'NOT_FOUND'],
        ['typing', [{ channelId: publicChannel, typing: 'yes' }], 'VALIDATION'],
        ['typing', [{ channelId: publicChannel }], 'VALIDATION'],
        ['admin:nuke', [{}], 'VALIDATION'],
        ['constructor', [{}], 'VALIDATION'],
        ['toString', [], 'VALIDATION'],
      ];
      for (const [event, args, code] of table) {
        const ack = await sendRaw(socket, event, args);
        expect({ event, args, ack }).toEqual({
          event,
          args,
          ack: { ok: false, error: { code, message: expect.any(String) } },
        });
      }
      expect(socket.connected).toBe(true);
      const stored = await sql('SELECT count(*)::int AS n FROM messages WHERE channel_id = $1', [
        publicChannel,
      ]);
      expect(stored[0].n).toBe(1);
      // A "__proto__" key is dropped as the payload is read: it pollutes nothing.
      const proto = JSON.parse(`{"channelId":"${publicChannel}","body":"proto","__proto__":{"polluted":1}}`);
      expect(await sendRaw(socket, 'message:send', [proto])).toMatchObject({
        ok: true,
        message: { body: 'proto' },
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(
        await send(socket, 'message:send', { channelId: publicChannel, body: 'still here' }),
      ).toMatchObject({ ok: true });
    });

    it('drops commands without an acknowledgement callback: nothing happens, nothing breaks', async () => {
      const socket = await open(alice);
      const watcher = new Inbox(await open(alice));
      const before = (await sql('SELECT last_seq FROM channels WHERE id = $1', [publicChannel]))[0].last_seq;
      const raw = socket as any;
      raw.emit('message:send', { channelId: publicChannel, body: 'fire and forget' });
      raw.emit('message:send', 'garbage');
      raw.emit('no:such:event', { x: 1 });
      raw.emit('typing');
      expect(await watcher.during('message:new', 300)).toEqual([]);
      expect((await sql('SELECT last_seq FROM channels WHERE id = $1', [publicChannel]))[0].last_seq).toBe(
        before,
      );
      expect(await send(socket, 'channel:sync', { channelId: publicChannel, afterSeq: 0 })).toMatchObject({
        ok: true,
      });
    });

    it('closes a connection that sends a frame over SOCKET_MAX_PAYLOAD_BYTES, and only that one', async () => {
      const victim = await open(alice);
      const bystander = await open(bob);
      const gone = disconnected(victim);
      (victim as any).emit(
        'message:send',
        { channelId: publicChannel, body: 'x'.repeat(200_000) },
        () => undefined,
      );
      expect(await gone).toBe('transport close');
      expect(bystander.connected).toBe(true);
      expect(await send(bystander, 'channel:sync', { channelId: privateOfBob, afterSeq: 0 })).toMatchObject({
        ok: true,
      });
      expect((await open(alice)).connected).toBe(true);
    });
  });

  describe('rate limits', () => {
    let limited: Running;
    beforeAll(async () => {
      limited = await startGateway(auth, {
        REDIS_URL: '',
        COMMAND_RATE_PER_SECOND: '5',
        HTTP_RATE_PER_MINUTE: '5',
      });
    });
    afterAll(() => limited?.close());

    it('answers RATE_LIMITED past the per-user command budget and keeps the socket open', async () => {
      const [tab1, tab2] = [await connect(limited.url, alice.token), await connect(limited.url, alice.token)];
      sockets.push(tab1, tab2);
      const acks = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          send(i % 2 ? tab1 : tab2, 'channel:sync', { channelId: publicChannel, afterSeq: 0 }),
        ),
      );
      const codes = acks.map((a) => (a.ok ? 'ok' : a.error.code));
      expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(3);
      expect(tab1.connected && tab2.connected).toBe(true);
      // Someone else's budget is their own.
      const other = await connect(limited.url, bob.token);
      sockets.push(other);
      expect(await send(other, 'channel:sync', { channelId: privateOfBob, afterSeq: 0 })).toMatchObject({
        ok: true,
      });
      await sleep(1100);
      expect(await send(tab1, 'channel:sync', { channelId: publicChannel, afterSeq: 0 })).toMatchObject({
        ok: true,
      });
    });

    it('answers REST calls past the per-user budget with 429 and Retry-After', async () => {
      const statuses: number[] = [];
      let last: JsonResponse | undefined;
      for (let i = 0; i < 6; i++) {
        last = await request(limited.url, 'GET', '/channels', { token: alice.token });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect(last!.body.code).toBe('RATE_LIMITED');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await request(limited.url, 'GET', '/channels', { token: bob.token })).status).toBe(200);
    });
  });

  describe('session end', () => {
    it('ends a socket when its access token expires, telling the client why', async () => {
      const login = await request(shortAuth.url, 'POST', '/auth/login', {
        body: { username: bob.username, password: PASSWORD },
      });
      const socket = await connect(gw.url, login.body.accessToken);
      sockets.push(socket);
      const inbox = new Inbox(socket);
      const exp = (jwt.decode(login.body.accessToken) as { exp: number }).exp * 1000;
      const reason = await disconnected(socket, 5000);
      expect(reason).toBe('io server disconnect');
      expect(Date.now()).toBeGreaterThanOrEqual(exp);
      expect(inbox.all('session:ended')).toEqual([{ code: 'UNAUTHORIZED', message: 'Access token expired' }]);
    });

    it('closes every socket of a banned user within 5 s', async () => {
      const dave = await newUser(auth.url, 'dave');
      const tabs = [await open(dave), await open(dave)];
      const inboxes = tabs.map((t) => new Inbox(t));
      const gone = tabs.map((t) => disconnected(t, 5000));
      expect(
        (await request(auth.url, 'POST', `/auth/users/${dave.id}/ban`, { token: admin.token })).status,
      ).toBe(204);
      expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
      for (const inbox of inboxes)
        expect(inbox.all('session:ended')).toEqual([{ code: 'UNAUTHORIZED', message: 'Session revoked' }]);
    });

    it('applies a role change to open sockets at once', async () => {
      const erin = await newUser(auth.url, 'erin');
      const socket = await open(erin);
      await api(gw.url, erin)('POST', `/channels/${publicChannel}/join`);
      const target = (
        await api(gw.url, alice)('POST', `/channels/${publicChannel}/messages`, { body: 'moderate me' })
      ).body;
      const before = await send(socket, 'message:delete', { messageId: target.id });
      expect(before).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
      await setRoles(auth.url, admin, erin.id, ['moderator']);
      const after = await send(socket, 'message:delete', { messageId: target.id });
      expect(after).toEqual({ ok: true });
      expect(socket.connected).toBe(true);
    });
  });
});
