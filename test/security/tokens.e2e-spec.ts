import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthApp } from '../../apps/auth/src/bootstrap';
import { loadAuthConfig } from '../../apps/auth/src/config';
import { request, startAuth, testEnv, uniqueName, type Running } from '../support/apps';
import { connect, loginAdmin, newUser, refusal, startGateway, type TestUser } from '../support/gateway';
import { startMedia, type RunningMedia } from '../support/media';
import { claimsFor, es256, hs256, otherKeyPair, rawJwt } from './support/tokens';

/**
 * Every way a token can be wrong, presented to every door that takes one: the auth service's
 * /auth/me, the gateway's REST API, the media service, and the socket handshake (auth.token and
 * ?token=). Each must answer 401 UNAUTHORIZED (connect_error "UNAUTHORIZED" on the socket), while
 * the same claims signed properly get in — so each refusal is for the flaw under test.
 */
describe('security: access tokens at every door', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let media: RunningMedia;
  let alice: TestUser;
  let banned: TestUser;
  let aliceRefresh: string;
  let kid: string;
  let publicPem: string;
  let jwk: object;
  const sockets: { close(): void }[] = [];

  /** Signed with the real key and kid: only the claims decide. */
  const real = (claims: object, header: object = {}) =>
    rawJwt({ alg: 'ES256', typ: 'JWT', kid, ...header }, claims, (i) => es256(privateKey, i));

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({
      REDIS_URL: '',
      JWT_PRIVATE_KEY: signingPem,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD,
    });
    [gw, media] = await Promise.all([
      startGateway(auth, { REDIS_URL: '' }),
      startMedia(auth, { REDIS_URL: '' }),
    ]);
    const admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    alice = await newUser(auth.url, 'alice');
    const login = await request(auth.url, 'POST', '/auth/login', {
      body: { username: alice.username, password: 'password-123' },
    });
    aliceRefresh = login.body.refreshToken;
    // Banned before any service saw their token, so no cache can make this pass by luck.
    banned = await newUser(auth.url, 'banned');
    expect(
      (await request(auth.url, 'POST', `/auth/users/${banned.id}/ban`, { token: admin.token })).status,
    ).toBe(204);
    kid = JSON.parse(Buffer.from(alice.token.split('.')[0], 'base64url').toString()).kid;
    const jwks = (await request(auth.url, 'GET', '/auth/.well-known/jwks.json')).body;
    jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
    publicPem = createPublicKey({ key: jwk as never, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString();
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([gw?.close(), media?.close()]);
    await auth?.close();
  });

  /** The HTTP doors: what each answers a valid token with, and the call. */
  const doors = () => [
    { name: 'auth GET /auth/me', base: auth.url, path: '/auth/me', ok: 200 },
    { name: 'gateway GET /channels', base: gw.url, path: '/channels', ok: 200 },
    { name: 'gateway GET /users', base: gw.url, path: '/users?q=a', ok: 200 },
    // A valid caller learns the file does not exist (404); an invalid one must not get that far.
    { name: 'media GET /files/:id/meta', base: media.url, path: `/files/${randomUUID()}/meta`, ok: 404 },
  ];

  const forgeries = (): [string, string | undefined][] => {
    const now = Math.floor(Date.now() / 1000);
    const claims = claimsFor(alice);
    const other = otherKeyPair();
    const [h, p, s] = alice.token.split('.');
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] }),
    ).toString('base64url');
    const { typ: _typ, ...untyped } = claims;
    return [
      ['missing', undefined],
      ['empty', ''],
      ['garbage', 'not-a-jwt'],
      ['dots only', '..'],
      ['expired', real({ ...claims, iat: now - 1000, exp: now - 60 })],
      ['not yet valid', real({ ...claims, nbf: now + 600 })],
      ['alg none', rawJwt({ alg: 'none', typ: 'JWT', kid }, claims, () => '')],
      ['alg "None"', rawJwt({ alg: 'None', typ: 'JWT', kid }, claims, () => '')],
      [
        'HS256 keyed with the public key (PEM)',
        rawJwt({ alg: 'HS256', kid }, claims, (i) => hs256(publicPem, i)),
      ],
      [
        'HS256 keyed with the public key (JWK)',
        rawJwt({ alg: 'HS256', kid }, claims, (i) => hs256(JSON.stringify(jwk), i)),
      ],
      ['wrong audience', real({ ...claims, aud: 'another-app' })],
      ['wrong issuer', real({ ...claims, iss: 'https://evil.example' })],
      ['another key, same kid', rawJwt({ alg: 'ES256', kid }, claims, (i) => es256(other.privateKey, i))],
      [
        'another key, unknown kid',
        rawJwt({ alg: 'ES256', kid: 'attacker-key' }, claims, (i) => es256(other.privateKey, i)),
      ],
      [
        'kid path traversal',
        rawJwt({ alg: 'ES256', kid: '../../../../dev/null' }, claims, (i) => es256(other.privateKey, i)),
      ],
      [
        'all-zero ECDSA signature (CVE-2022-21449)',
        rawJwt({ alg: 'ES256', kid }, claims, () => Buffer.alloc(64)),
      ],
      ['payload changed under the original signature (roles: admin)', `${h}.${elevated}.${s}`],
      ['refresh token as access token', aliceRefresh],
      ['no token type', real(untyped)],
      ['refresh type', real({ ...claims, typ: 'refresh' })],
      ['unknown user, valid signature', real(claimsFor({ id: randomUUID(), username: 'ghost' }))],
      ['banned user, still-valid token', banned.token],
      ['huge', 'x'.repeat(10_000)],
    ];
  };

  it('lets the control tokens in (the forged ones below differ only by the flaw)', async () => {
    for (const token of [alice.token, real(claimsFor(alice))]) {
      for (const door of doors()) {
        const res = await request(door.base, 'GET', door.path, { token });
        expect({ door: door.name, status: res.status }).toEqual({ door: door.name, status: door.ok });
      }
      const socket = await connect(gw.url, token);
      sockets.push(socket);
      expect(socket.connected).toBe(true);
    }
  });

  it('refuses every forged, stale or misused token on HTTP with 401 UNAUTHORIZED', async () => {
    const seen: string[] = [];
    for (const [what, token] of forgeries()) {
      for (const door of doors()) {
        const res = await request(door.base, 'GET', door.path, { token });
        seen.push(`${what} @ ${door.name}: ${res.status} ${res.body?.code}`);
        expect({ what, door: door.name, status: res.status, code: res.body?.code }).toEqual({
          what,
          door: door.name,
          status: 401,
          code: 'UNAUTHORIZED',
        });
        expect(JSON.stringify(res.body)).not.toMatch(/at .+\.(ts|js):\d+|stack/i);
      }
    }
    expect(seen.length).toBe(forgeries().length * doors().length);
  });

  it('refuses them at the socket handshake with connect_error "UNAUTHORIZED", in auth and in ?token=', async () => {
    for (const [what, token] of forgeries()) {
      const viaAuth = await refusal(gw.url, token);
      expect({ what, via: 'auth', message: viaAuth.message }).toEqual({
        what,
        via: 'auth',
        message: 'UNAUTHORIZED',
      });
      if (token === undefined) continue;
      const viaQuery = await refusal(gw.url, undefined, { query: { token } });
      expect({ what, via: 'query', message: viaQuery.message }).toEqual({
        what,
        via: 'query',
        message: 'UNAUTHORIZED',
      });
    }
    // Not a string at all.
    for (const token of [{ $ne: '' }, 123, ['a'], null]) {
      const err = await refusal(gw.url, undefined, { auth: { token } as never });
      expect(err.message).toBe('UNAUTHORIZED');
    }
  });

  it('does not let forged key ids make the services hammer the auth service for keys', async () => {
    const jwksFetches = async () => {
      const text: string = (await request(auth.url, 'GET', '/metrics')).body;
      return text
        .split('\n')
        .filter((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('jwks'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    const before = await jwksFetches();
    const other = otherKeyPair();
    const claims = claimsFor(alice);
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        request(gw.url, 'GET', '/channels', {
          token: rawJwt({ alg: 'ES256', kid: `forged-${i}` }, claims, (x) => es256(other.privateKey, x)),
        }).then((r) => r.status),
      ),
    );
    const fetched = (await jwksFetches()) - before;
    expect(new Set(statuses)).toEqual(new Set([401]));
    // An unknown kid is looked up (a key rotation looks like that), but at most 10 times a minute.
    expect(fetched).toBeGreaterThanOrEqual(1);
    expect(fetched).toBeLessThanOrEqual(11);
  });
});

/**
 * Key rotation, then removal of the old key (what an operator does after a key leaked), against
 * the real auth service restarted with each key set on the same port, and a real gateway and media
 * that fetch its JWKS: the rotated-in key verifies at once, the removed one is refused within
 * AUTH_JWKS_REFRESH_SECONDS on every door, and an auth outage afterwards changes neither.
 */
describe('security: signing key rotation and removal', () => {
  const REFRESH_SECONDS = 5;
  const keyA = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyB = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k: typeof keyA) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const pubPem = (k: typeof keyA) => k.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const keysDir = mkdtempSync(join(tmpdir(), 'chat-keys-'));
  let auth: Running | undefined;
  let authPort = 0;
  let gw: Running;
  let media: RunningMedia;
  const username = uniqueName('rot');
  const sockets: { close(): void }[] = [];

  /** (Re)starts auth on the same port with this key set. */
  async function startAuthWith(privatePem: string, previous = ''): Promise<void> {
    await auth?.close();
    const app = await createAuthApp(
      loadAuthConfig(
        testEnv({
          REDIS_URL: '',
          JWT_KEYS_DIR: keysDir,
          JWT_PRIVATE_KEY: privatePem,
          JWT_PREVIOUS_PUBLIC_KEYS: previous,
          REGISTER_MAX_PER_IP_PER_HOUR: '1000000',
          LOGIN_MAX_FAILURES_PER_IP: '1000000',
        }),
      ),
    );
    await app.listen(authPort, '127.0.0.1');
    authPort = (app.getHttpServer().address() as AddressInfo).port;
    auth = { app, url: `http://127.0.0.1:${authPort}`, close: () => app.close() };
  }

  const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
  const login = async () => {
    const res = await request(auth!.url, 'POST', '/auth/login', {
      body: { username, password: 'password-123' },
    });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  };
  /** Status and error code of each door for `token`, and whether the socket handshake got in. */
  const doors = async (token: string) => {
    const [g, m] = await Promise.all([
      request(gw.url, 'GET', '/channels', { token }),
      request(media.url, 'GET', `/files/${randomUUID()}/meta`, { token }),
    ]);
    let socket = 'connected';
    try {
      sockets.push(await connect(gw.url, token));
    } catch (err) {
      socket = (err as Error).message;
    }
    return {
      gateway: `${g.status} ${g.body?.code ?? ''}`.trim(),
      media: `${m.status} ${m.body?.code ?? ''}`.trim(),
      socket,
    };
  };
  const IN = { gateway: '200', media: '404 NOT_FOUND', socket: 'connected' };
  const OUT = { gateway: '401 UNAUTHORIZED', media: '401 UNAUTHORIZED', socket: 'UNAUTHORIZED' };

  beforeAll(async () => {
    await startAuthWith(pem(keyA));
    const jwksUrl = `${auth!.url}/auth/.well-known/jwks.json`;
    const env = { REDIS_URL: '', AUTH_JWKS_REFRESH_SECONDS: String(REFRESH_SECONDS) };
    [gw, media] = await Promise.all([startGateway({ jwksUrl }, env), startMedia({ jwksUrl }, env)]);
    const reg = await request(auth!.url, 'POST', '/auth/register', {
      body: { username, password: 'password-123' },
    });
    expect(reg.status).toBe(201);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([gw?.close(), media?.close()]);
    await auth?.close();
  });

  it('trusts a rotated-in key at once, and refuses the removed key within the refresh interval', async () => {
    const tokenA = await login();
    expect(await doors(tokenA)).toEqual(IN);

    // Rotation: B signs, A is still served as a previous key. Both verify, B without waiting.
    await startAuthWith(pem(keyB), pubPem(keyA));
    const tokenB = await login();
    expect(kidOf(tokenB)).not.toBe(kidOf(tokenA));
    expect(await doors(tokenB)).toEqual(IN);
    expect(await doors(tokenA)).toEqual(IN);

    // Removal: A is dropped from the JWKS (a compromised key). No service restarts.
    await startAuthWith(pem(keyB));
    const removedAt = Date.now();
    let refusedAfter = -1;
    while (Date.now() - removedAt < (REFRESH_SECONDS + 5) * 1000) {
      const r = await request(gw.url, 'GET', '/channels', { token: tokenA });
      if (r.status === 401) {
        refusedAfter = Date.now() - removedAt;
        break;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    // Within the interval (plus a fetch and the polling step).
    expect(refusedAfter).toBeLessThanOrEqual(REFRESH_SECONDS * 1000 + 1000);
    // media refreshes on its own timer: give it the same bound from the removal.
    await new Promise((res) =>
      setTimeout(res, Math.max(0, REFRESH_SECONDS * 1000 + 1000 - (Date.now() - removedAt))),
    );
    expect(await doors(tokenA)).toEqual(OUT);
    const refused = await request(gw.url, 'GET', '/channels', { token: tokenA });
    expect(refused.body).toEqual(
      expect.objectContaining({ code: 'UNAUTHORIZED', message: expect.any(String) }),
    );
    expect(await doors(tokenB)).toEqual(IN);
    console.log(`removed key refused by the gateway ${refusedAfter} ms after auth stopped serving it`);

    // Auth goes away: the last good set stays (B still in), and A stays out.
    await auth!.close();
    auth = undefined;
    await new Promise((res) => setTimeout(res, REFRESH_SECONDS * 1000 + 1500));
    expect(await doors(tokenB)).toEqual(IN);
    expect(await doors(tokenA)).toEqual(OUT);
  }, 60_000);
});
