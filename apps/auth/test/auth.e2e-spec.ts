import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { AuthResult, User } from '@chat/contracts';
import { createEventBus, type DomainEvents } from '@chat/platform';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';

const PASSWORD = 'password-123';

describe('auth service (e2e)', () => {
  let auth: Running & { jwksUrl: string };
  let keysDir: string;
  let admin: AuthResult;
  const adminName = uniqueName('admin');

  beforeAll(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'chat-keys-'));
    auth = await startAuth({
      JWT_KEYS_DIR: keysDir,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD: 'admin-password-1',
    });
    const login = await request<AuthResult>(auth.url, 'POST', '/auth/login', {
      body: { username: adminName, password: 'admin-password-1' },
    });
    admin = login.body;
  });
  afterAll(() => auth.close());

  const post = (path: string, body?: unknown, token?: string) =>
    request(auth.url, 'POST', path, { body, token });

  describe('POST /auth/register', () => {
    it('creates a member and returns the contract shape without secrets', async () => {
      const username = uniqueName('Reg');
      const res = await post('/auth/register', { username, password: PASSWORD, email: 'a@example.com' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'user']);
      expect(res.body.expiresIn).toBe(900);
      expect(res.body.user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username,
        roles: ['member'],
        createdAt: expect.any(String),
        bot: false,
      });
      expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
    });

    it('refuses a taken username, case-insensitively, with 409 CONFLICT', async () => {
      const username = uniqueName('Dup');
      await registerUser(auth.url, username);
      for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
        const res = await post('/auth/register', { username: variant, password: PASSWORD });
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ statusCode: 409, code: 'CONFLICT', requestId: expect.any(String) });
      }
    });

    it.each([
      ['a username of 2 characters', { username: 'ab', password: PASSWORD }],
      ['a username of 33 characters', { username: 'a'.repeat(33), password: PASSWORD }],
      ['a username with a space', { username: 'bad name', password: PASSWORD }],
      ['a username with a slash', { username: 'bad/name', password: PASSWORD }],
      ['a password of 7 characters', { username: uniqueName(), password: '1234567' }],
      ['a password of 129 characters', { username: uniqueName(), password: 'p'.repeat(129) }],
      ['a numeric username', { username: 12345, password: PASSWORD }],
      ['a missing password', { username: uniqueName() }],
      ['an unknown field', { username: uniqueName(), password: PASSWORD, roles: ['admin'] }],
      ['a malformed email', { username: uniqueName(), password: PASSWORD, email: 'not-an-email' }],
      ['an array body', [1, 2, 3]],
    ])('answers 400 VALIDATION for %s', async (_label, body) => {
      const res = await post('/auth/register', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION', message: expect.any(String) });
    });

    it('accepts the boundary lengths (3 and 32 characters, passwords of 8 and 128)', async () => {
      const short = `a${Math.random().toString(36).slice(2, 4)}`;
      expect((await post('/auth/register', { username: short, password: '12345678' })).status).toBe(201);
      const long = uniqueName('x').padEnd(32, 'y');
      expect((await post('/auth/register', { username: long, password: 'p'.repeat(128) })).status).toBe(201);
    });

    it('answers a non-JSON body with 400 VALIDATION and an oversized one with 413', async () => {
      const bad = await request(auth.url, 'POST', '/auth/register', { raw: '{"username": "x",' });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION');
      const huge = await request(auth.url, 'POST', '/auth/register', {
        raw: JSON.stringify({ username: 'x'.repeat(200_000), password: PASSWORD }),
      });
      expect(huge.status).toBe(413);
      expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('first account and ADMIN_USERNAME', () => {
    it('makes the first account on an empty system an admin, and only that one', async () => {
      const db = await freshDatabase();
      const fresh = await startAuth({ DATABASE_URL: db.url });
      try {
        const results = await Promise.all([0, 1, 2].map(() => registerUser(fresh.url)));
        const admins = results.filter((r) => r.user.roles.includes('admin'));
        expect(admins).toHaveLength(1);
        expect(
          results
            .filter((r) => !r.user.roles.includes('admin'))
            .every((r) => r.user.roles.join() === 'member'),
        ).toBe(true);
      } finally {
        await fresh.close();
        await db.drop();
      }
    });

    it('ensures the configured admin exists at start-up', () => {
      expect(admin.user.roles).toEqual(['admin', 'member']);
      expect(admin.user.username).toBe(adminName);
    });
  });

  describe('POST /auth/login', () => {
    it('logs in case-insensitively with the same answer shape as register', async () => {
      const r = await registerUser(auth.url, uniqueName('Login'));
      const res = await post('/auth/login', { username: r.user.username.toUpperCase(), password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual(r.user);
      expect(res.body.refreshToken).not.toBe(r.refreshToken);
    });

    it('gives the same 401 for an unknown user and a wrong password', async () => {
      const r = await registerUser(auth.url);
      const wrong = await post('/auth/login', { username: r.user.username, password: 'wrong-password' });
      const unknown = await post('/auth/login', { username: uniqueName('nobody'), password: PASSWORD });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.code).toBe('UNAUTHORIZED');
      expect(wrong.body.message).toBe(unknown.body.message);
    });

    it('answers 429 RATE_LIMITED with Retry-After after repeated failures for one username', async () => {
      const limited = await startAuth({ LOGIN_MAX_FAILURES_PER_USER: '3' });
      try {
        const r = await registerUser(limited.url);
        for (let i = 0; i < 3; i++) {
          const res = await request(limited.url, 'POST', '/auth/login', {
            body: { username: r.user.username, password: 'nope-nope' },
          });
          expect(res.status).toBe(401);
        }
        const blocked = await request(limited.url, 'POST', '/auth/login', {
          body: { username: r.user.username, password: PASSWORD },
        });
        expect(blocked.status).toBe(429);
        expect(blocked.body.code).toBe('RATE_LIMITED');
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        // Another account from the same address is not locked out by someone else's failures.
        const other = await registerUser(limited.url);
        const ok = await request(limited.url, 'POST', '/auth/login', {
          body: { username: other.user.username, password: PASSWORD },
        });
        expect(ok.status).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('throttles one address spraying many usernames', async () => {
      // Its own Redis prefix: the address counter must not include other tests' failures.
      const limited = await startAuth({
        LOGIN_MAX_FAILURES_PER_IP: '4',
        REDIS_PREFIX: uniqueName('iplimit'),
      });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 6; i++) {
          const res = await request(limited.url, 'POST', '/auth/login', {
            body: { username: uniqueName('spray'), password: 'x-password' },
          });
          codes.push(res.status);
        }
        expect(codes.slice(0, 4)).toEqual([401, 401, 401, 401]);
        expect(codes.slice(4)).toEqual([429, 429]);
      } finally {
        await limited.close();
      }
    });
  });

  describe('POST /auth/refresh and /auth/logout', () => {
    it('rotates: the new pair works and the old refresh token is spent', async () => {
      const r = await registerUser(auth.url);
      const next = await post('/auth/refresh', { refreshToken: r.refreshToken });
      expect(next.status).toBe(200);
      expect(next.body.refreshToken).not.toBe(r.refreshToken);
      expect((await request(auth.url, 'GET', '/auth/me', { token: next.body.accessToken })).status).toBe(200);
      const again = await post('/auth/refresh', { refreshToken: next.body.refreshToken });
      expect(again.status).toBe(200);
    });

    it('revokes the whole login when a spent token is presented again, the newest one included', async () => {
      const r = await registerUser(auth.url);
      const second = (await post('/auth/refresh', { refreshToken: r.refreshToken })).body as AuthResult;
      const reuse = await post('/auth/refresh', { refreshToken: r.refreshToken });
      expect(reuse.status).toBe(401);
      expect(reuse.body.code).toBe('UNAUTHORIZED');
      expect((await post('/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
      // Another login of the same user is untouched.
      const other = await post('/auth/login', { username: r.user.username, password: PASSWORD });
      expect((await post('/auth/refresh', { refreshToken: other.body.refreshToken })).status).toBe(200);
    });

    it('lets exactly one of two racing refreshes of one token through', async () => {
      const r = await registerUser(auth.url);
      const [a, b] = await Promise.all([
        post('/auth/refresh', { refreshToken: r.refreshToken }),
        post('/auth/refresh', { refreshToken: r.refreshToken }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
    });

    it('refuses unknown and malformed refresh tokens', async () => {
      expect((await post('/auth/refresh', { refreshToken: 'not-a-token' })).status).toBe(401);
      expect((await post('/auth/refresh', { refreshToken: 42 })).status).toBe(400);
      expect((await post('/auth/refresh', {})).status).toBe(400);
    });

    it('logout answers 204 and ends the token and its successors', async () => {
      const r = await registerUser(auth.url);
      const second = (await post('/auth/refresh', { refreshToken: r.refreshToken })).body as AuthResult;
      const out = await post('/auth/logout', { refreshToken: r.refreshToken });
      expect(out.status).toBe(204);
      expect((await post('/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
      expect((await post('/auth/logout', { refreshToken: 'unknown' })).status).toBe(204);
    });
  });

  describe('GET /auth/me', () => {
    it('returns the caller', async () => {
      const r = await registerUser(auth.url);
      const me = await request<User>(auth.url, 'GET', '/auth/me', { token: r.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        ...r.user,
        email: null,
        emailVerified: false,
        emailNotifications: true,
        totp: false,
        totpRequired: false,
      });
    });

    it('answers 401 in the contract shape without a token', async () => {
      const res = await request(auth.url, 'GET', '/auth/me');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: expect.any(String),
        requestId: expect.any(String),
      });
      expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    });
  });

  describe('access tokens', () => {
    let victim: AuthResult;
    let claims: Record<string, unknown>;
    let currentKey: string;
    beforeAll(async () => {
      victim = await registerUser(auth.url);
      claims = jwt.decode(victim.accessToken) as Record<string, unknown>;
      currentKey = readFileSync(join(keysDir, 'current.pem'), 'utf8');
    });
    const me = (token: string) => request(auth.url, 'GET', '/auth/me', { token });
    const kid = () => jwt.decode(victim.accessToken, { complete: true })!.header.kid as string;
    const body = () => {
      const { iat: _iat, exp: _exp, iss: _iss, aud: _aud, ...rest } = claims;
      return rest;
    };

    it('carries the contract claims, a kid and a type', () => {
      expect(claims).toMatchObject({
        sub: victim.user.id,
        username: victim.user.username,
        roles: ['member'],
        iss: 'chat-auth',
        aud: 'chat',
        typ: 'access',
        jti: expect.any(String),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      expect(kid()).toEqual(expect.any(String));
    });

    it('refuses a token signed by another key', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = jwt.sign(body(), privateKey, {
        algorithm: 'ES256',
        keyid: kid(),
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 60,
      });
      expect((await me(forged)).status).toBe(401);
    });

    it('refuses an expired token', async () => {
      const expired = jwt.sign({ ...body(), exp: Math.floor(Date.now() / 1000) - 10 }, currentKey, {
        algorithm: 'ES256',
        keyid: kid(),
        issuer: 'chat-auth',
        audience: 'chat',
      });
      expect((await me(expired)).status).toBe(401);
    });

    it('refuses alg "none"', async () => {
      const none = jwt.sign(body(), '', {
        algorithm: 'none',
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 60,
        keyid: kid(),
      });
      expect((await me(none)).status).toBe(401);
    });

    it('refuses HS256 signed with the public key', async () => {
      const jwks = (await request(auth.url, 'GET', '/auth/.well-known/jwks.json')).body;
      const publicPem = (await import('node:crypto'))
        .createPublicKey({ key: jwks.keys[0], format: 'jwk' })
        .export({ format: 'pem', type: 'spki' });
      const hs = jwt.sign(body(), publicPem, {
        algorithm: 'HS256',
        keyid: kid(),
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 60,
      });
      expect((await me(hs)).status).toBe(401);
    });

    it('refuses a wrong audience or issuer', async () => {
      for (const [iss, aud] of [
        ['chat-auth', 'other'],
        ['evil', 'chat'],
      ]) {
        const t = jwt.sign(body(), currentKey, {
          algorithm: 'ES256',
          keyid: kid(),
          issuer: iss,
          audience: aud,
          expiresIn: 60,
        });
        expect((await me(t)).status).toBe(401);
      }
    });

    it('refuses a token without the access type, and a refresh token presented as an access token', async () => {
      const { typ: _typ, ...untyped } = body();
      const t = jwt.sign(untyped, currentKey, {
        algorithm: 'ES256',
        keyid: kid(),
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 60,
      });
      expect((await me(t)).status).toBe(401);
      expect((await me(victim.refreshToken)).status).toBe(401);
    });

    it('is accepted when freshly signed with the current key (the forgery checks above can fail)', async () => {
      const t = jwt.sign(body(), currentKey, {
        algorithm: 'ES256',
        keyid: kid(),
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 60,
      });
      expect((await me(t)).status).toBe(200);
    });
  });

  describe('JWKS and key rotation', () => {
    it('serves the current key, and keeps tokens of the previous key valid after a rotation', async () => {
      const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = (k: typeof a) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const first = await startAuth({ JWT_PRIVATE_KEY: pem(a) });
      const user = await registerUser(first.url);
      const jwksA = (await request(first.url, 'GET', '/auth/.well-known/jwks.json')).body;
      await first.close();
      expect(jwksA.keys).toHaveLength(1);
      expect(jwksA.keys[0]).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        use: 'sig',
        kid: expect.any(String),
      });
      expect(jwksA.keys[0].d).toBeUndefined();

      const rotated = await startAuth({
        JWT_PRIVATE_KEY: pem(b),
        JWT_PREVIOUS_PUBLIC_KEYS: a.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      });
      try {
        const jwks = (await request(rotated.url, 'GET', '/auth/.well-known/jwks.json')).body;
        expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(jwksA.keys[0].kid);
        expect(jwks.keys).toHaveLength(2);
        expect((await request(rotated.url, 'GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
        const fresh = await request<AuthResult>(rotated.url, 'POST', '/auth/refresh', {
          body: { refreshToken: user.refreshToken },
        });
        expect(jwt.decode(fresh.body.accessToken, { complete: true })!.header.kid).toBe(jwks.keys[0].kid);
      } finally {
        await rotated.close();
      }
    });

    it('keeps the generated local key across restarts', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chat-keys-'));
      const one = await startAuth({ JWT_KEYS_DIR: dir });
      const kid1 = (await request(one.url, 'GET', '/auth/.well-known/jwks.json')).body.keys[0].kid;
      await one.close();
      const two = await startAuth({ JWT_KEYS_DIR: dir });
      const kid2 = (await request(two.url, 'GET', '/auth/.well-known/jwks.json')).body.keys[0].kid;
      await two.close();
      expect(kid2).toBe(kid1);
    });
  });

  describe('roles and bans', () => {
    const events: { topic: keyof DomainEvents; payload: unknown }[] = [];
    const bus = createEventBus(process.env.REDIS_URL ?? '', process.env.REDIS_PREFIX ?? 'chat');
    beforeAll(() => {
      for (const topic of ['user.banned', 'user.unbanned', 'user.roles_changed'] as const) {
        bus.subscribe(topic, (payload) => void events.push({ topic, payload }));
      }
    });
    afterAll(() => bus.close());
    const eventFor = async (topic: string, userId: string) => {
      for (let i = 0; i < 50; i++) {
        const e = events.find(
          (x) => x.topic === topic && (x.payload as { userId: string }).userId === userId,
        );
        if (e) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    };

    it('lets an admin make a moderator, which applies to tokens already issued', async () => {
      const u = await registerUser(auth.url);
      const res = await request(auth.url, 'PATCH', `/auth/users/${u.user.id}/roles`, {
        token: admin.accessToken,
        body: { roles: ['moderator'] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...u.user, roles: ['moderator', 'member'] });
      expect(await eventFor('user.roles_changed', u.user.id)).toBeDefined();
      // The old token now carries the moderator's powers: it may ban a member.
      const target = await registerUser(auth.url);
      await new Promise((r) => setTimeout(r, 100));
      const ban = await request(auth.url, 'POST', `/auth/users/${target.user.id}/ban`, {
        token: u.accessToken,
      });
      expect(ban.status).toBe(204);
    });

    it('refuses a role change by a non-admin with 403, bad roles with 400, an unknown user with 404', async () => {
      const u = await registerUser(auth.url);
      const other = await registerUser(auth.url);
      const path = `/auth/users/${other.user.id}/roles`;
      expect(
        (await request(auth.url, 'PATCH', path, { token: u.accessToken, body: { roles: ['admin'] } })).status,
      ).toBe(403);
      expect((await request(auth.url, 'PATCH', path, { body: { roles: ['admin'] } })).status).toBe(401);
      expect(
        (await request(auth.url, 'PATCH', path, { token: admin.accessToken, body: { roles: ['root'] } }))
          .status,
      ).toBe(400);
      expect(
        (await request(auth.url, 'PATCH', path, { token: admin.accessToken, body: { roles: 'admin' } }))
          .status,
      ).toBe(400);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(
        (
          await request(auth.url, 'PATCH', `/auth/users/${unknown}/roles`, {
            token: admin.accessToken,
            body: { roles: [] },
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await request(auth.url, 'PATCH', `/auth/users/not-a-uuid/roles`, {
            token: admin.accessToken,
            body: { roles: [] },
          })
        ).status,
      ).toBe(404);
    });

    it('never removes the last admin', async () => {
      const db = await freshDatabase();
      const fresh = await startAuth({ DATABASE_URL: db.url });
      try {
        const first = await registerUser(fresh.url);
        const res = await request(fresh.url, 'PATCH', `/auth/users/${first.user.id}/roles`, {
          token: first.accessToken,
          body: { roles: [] },
        });
        expect(res.status).toBe(409);
      } finally {
        await fresh.close();
        await db.drop();
      }
    });

    it('bans: no login, no refresh, tokens refused, event published; unban restores login', async () => {
      const mod = await registerUser(auth.url);
      await request(auth.url, 'PATCH', `/auth/users/${mod.user.id}/roles`, {
        token: admin.accessToken,
        body: { roles: ['moderator'] },
      });
      const u = await registerUser(auth.url);
      expect(
        (await request(auth.url, 'POST', `/auth/users/${u.user.id}/ban`, { token: mod.accessToken })).status,
      ).toBe(204);
      expect(await eventFor('user.banned', u.user.id)).toBeDefined();
      const login = await post('/auth/login', { username: u.user.username, password: PASSWORD });
      expect(login.status).toBe(401);
      expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 100));
      expect((await request(auth.url, 'GET', '/auth/me', { token: u.accessToken })).status).toBe(401);

      expect(
        (await request(auth.url, 'DELETE', `/auth/users/${u.user.id}/ban`, { token: mod.accessToken }))
          .status,
      ).toBe(204);
      expect(await eventFor('user.unbanned', u.user.id)).toBeDefined();
      expect((await post('/auth/login', { username: u.user.username, password: PASSWORD })).status).toBe(200);
    });

    it('refuses bans by members (403), of admins by moderators (403), of oneself, and of unknown users (404)', async () => {
      const member = await registerUser(auth.url);
      const mod = await registerUser(auth.url);
      await request(auth.url, 'PATCH', `/auth/users/${mod.user.id}/roles`, {
        token: admin.accessToken,
        body: { roles: ['moderator'] },
      });
      const target = await registerUser(auth.url);
      expect(
        (await request(auth.url, 'POST', `/auth/users/${target.user.id}/ban`, { token: member.accessToken }))
          .status,
      ).toBe(403);
      expect(
        (await request(auth.url, 'POST', `/auth/users/${admin.user.id}/ban`, { token: mod.accessToken }))
          .status,
      ).toBe(403);
      expect(
        (await request(auth.url, 'POST', `/auth/users/${admin.user.id}/ban`, { token: admin.accessToken }))
          .status,
      ).toBe(403);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(
        (await request(auth.url, 'POST', `/auth/users/${unknown}/ban`, { token: admin.accessToken })).status,
      ).toBe(404);
      expect(
        (
          await request(auth.url, 'DELETE', `/auth/users/${target.user.id}/ban`, {
            token: member.accessToken,
          })
        ).status,
      ).toBe(403);
    });
  });

  describe('operations', () => {
    it('serves health, readiness, metrics and the OpenAPI document', async () => {
      expect((await request(auth.url, 'GET', '/healthz')).body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, eventBus: { status: 'up' } },
      });
      const ready = await request(auth.url, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.details.database.status).toBe('up');
      const metrics = await fetch(`${auth.url}/metrics`).then((r) => r.text());
      expect(metrics).toContain('http_request_duration_seconds');
      const doc = await request(auth.url, 'GET', '/auth/docs/openapi.json');
      expect(doc.status).toBe(200);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/auth/register',
          '/auth/login',
          '/auth/refresh',
          '/auth/logout',
          '/auth/me',
          '/auth/users/{id}/ban',
        ]),
      );
    });

    it('sends security headers and no stack traces', async () => {
      const res = await request(auth.url, 'POST', '/auth/login', { raw: 'garbage' });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    });
  });
});
