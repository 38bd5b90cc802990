import type { Pool } from 'pg';
import type { AuthResult } from '@chat/contracts';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase, suitePool } from '../../../test/support/database';
import { api, loginAdmin, startGateway, type TestUser } from '../../../test/support/gateway';

const PASSWORD = 'password-123';
const ADMIN_PASSWORD = 'admin-password-123';
const PLACEHOLDER = /^deleted-[0-9a-f]{24}$/;

/**
 * Account deletion (DELETE /auth/me, DELETE /auth/users/:id) and export (GET /auth/me/export)
 * against a real auth service, gateway, Postgres and Redis, on a database of the suite's own (the
 * last-admin rule needs to know every admin there is). The socket side of a deletion is
 * apps/gateway/test/account-deletion.e2e-spec.ts.
 */
describe('account lifecycle: deletion and export (e2e)', () => {
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let admin: TestUser;
  const adminName = uniqueName('admin');

  const q = async <T = any>(text: string, params: unknown[] = []): Promise<T[]> =>
    (await pool.query(text, params)).rows as T[];
  const call = (method: string, path: string, token?: string, body?: unknown) =>
    request(auth.url, method, path, { token, body });
  const register = async (prefix = 'u'): Promise<AuthResult & TestUser> => {
    const r = await registerUser(auth.url, uniqueName(prefix), PASSWORD);
    return { ...r, id: r.user.id, username: r.user.username, token: r.accessToken };
  };
  const login = (username: string, password = PASSWORD) =>
    request(auth.url, 'POST', '/auth/login', { body: { username, password } });

  beforeAll(async () => {
    db = await freshDatabase();
    pool = suitePool(db.url);
    auth = await startAuth({
      DATABASE_URL: db.url,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD,
      LOGIN_MAX_FAILURES_PER_USER: '3',
      PUBLIC_URL: 'https://chat.example.com',
    });
    gw = await startGateway(auth, { DATABASE_URL: db.url });
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await gw?.close();
    await auth?.close();
    await pool?.end();
    await db?.drop();
  });

  describe('DELETE /auth/me', () => {
    it('refuses a missing body, missing confirmation, extra fields and wrong types with 400 VALIDATION, changing nothing', async () => {
      const u = await register('val');
      for (const body of [
        undefined,
        {},
        { eraseMessages: false },
        { password: PASSWORD, extra: 1 },
        { password: 12345678 },
        { password: '' },
        { password: PASSWORD, eraseMessages: 'yes' },
        { password: 'x'.repeat(129) },
      ]) {
        const res = await call('DELETE', '/auth/me', u.token, body);
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
        expect(res.body).toMatchObject({ statusCode: 400, requestId: expect.any(String) });
      }
      expect((await call('GET', '/auth/me', u.token)).status).toBe(200);
      expect((await login(u.username)).status).toBe(200);
    });

    it('answers 401 without a token', async () => {
      const res = await call('DELETE', '/auth/me', undefined, { password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHORIZED']);
    });

    it('refuses a wrong password with 403 FORBIDDEN (not 401) and changes nothing', async () => {
      const u = await register('wrong');
      const res = await call('DELETE', '/auth/me', u.token, { password: 'not-my-password' });
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      const [row] = await q(
        'SELECT username, deactivated_at, password_hash IS NOT NULL AS has_password FROM users WHERE id = $1',
        [u.id],
      );
      expect(row).toEqual({ username: u.username, deactivated_at: null, has_password: true });
      expect((await call('GET', '/auth/me', u.token)).status).toBe(200);
      expect(
        (await request(auth.url, 'POST', '/auth/refresh', { body: { refreshToken: u.refreshToken } })).status,
      ).toBe(200);
    });

    it('counts wrong passwords with failed logins: after the limit both answer 429, even with the right password', async () => {
      const u = await register('brute');
      for (let i = 0; i < 3; i++) {
        expect((await call('DELETE', '/auth/me', u.token, { password: `guess-${i}-wrong` })).status).toBe(
          403,
        );
      }
      const blocked = await call('DELETE', '/auth/me', u.token, { password: PASSWORD });
      expect([blocked.status, blocked.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await login(u.username)).status).toBe(429);
      expect((await call('GET', '/auth/me', u.token)).status).toBe(200);
    });

    it('erases the profile in one go: placeholder name, no email, password, 2FA or SSO link, member only, sessions and links gone', async () => {
      const u = await register('erase');
      const second = (await login(u.username)).body as AuthResult;
      await q(
        `UPDATE users SET email = 'erase@example.com', email_verified_at = now(), totp_secret = 'ABC',
                totp_enabled_at = now(), totp_last_step = 7, oidc_issuer = 'https://idp', oidc_subject = $2
          WHERE id = $1`,
        [u.id, `sub-${u.id}`],
      );
      await q(`INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES ($1, '\\x01')`, [u.id]);
      await q(`INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, 'p', 'a')`, [
        u.id,
        `https://push.example/${u.id}`,
      ]);
      await q(
        `INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
         VALUES (decode(md5($1::text), 'hex'), $1::uuid, 'verify', 'erase@example.com', now() + interval '1 day')`,
        [u.id],
      );
      // Another user's rows stay.
      const other = await register('other');
      await q(`INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, 'p', 'a')`, [
        other.id,
        `https://push.example/${other.id}`,
      ]);

      const res = await call('DELETE', '/auth/me', u.token, { password: PASSWORD });
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();

      const [row] = await q(
        `SELECT username, email, email_verified_at, password_hash, totp_secret, totp_enabled_at,
                totp_last_step, oidc_issuer, oidc_subject, roles, deactivated_at
           FROM users WHERE id = $1`,
        [u.id],
      );
      expect(row).toEqual({
        username: expect.stringMatching(PLACEHOLDER),
        email: null,
        email_verified_at: null,
        password_hash: null,
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
        oidc_issuer: null,
        oidc_subject: null,
        roles: ['member'],
        deactivated_at: expect.any(Date),
      });
      const count = async (table: string, id: string) =>
        Number((await q(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [id]))[0].n);
      expect(await count('totp_recovery_codes', u.id)).toBe(0);
      expect(await count('push_subscriptions', u.id)).toBe(0);
      expect(await count('email_tokens', u.id)).toBe(0);
      expect(await count('push_subscriptions', other.id)).toBe(1);
      expect(
        await q('SELECT 1 FROM login_sessions WHERE user_id = $1 AND revoked_at IS NULL', [u.id]),
      ).toEqual([]);

      // Every token and login of the account is dead; its name is free again.
      expect((await call('GET', '/auth/me', u.token)).status).toBe(401);
      expect((await call('GET', '/auth/me', second.accessToken)).status).toBe(401);
      for (const refreshToken of [u.refreshToken, second.refreshToken]) {
        const refreshed = await request(auth.url, 'POST', '/auth/refresh', { body: { refreshToken } });
        expect(refreshed.status).toBe(401);
      }
      expect((await login(u.username)).status).toBe(401);
      expect((await login(row.username, PASSWORD)).status).toBe(401);
      const again = await request(auth.url, 'POST', '/auth/register', {
        body: { username: u.username, password: PASSWORD },
      });
      expect(again.status).toBe(201);
      expect(again.body.user.id).not.toBe(u.id);
      // A second deletion with the dead token does nothing more.
      expect((await call('DELETE', '/auth/me', u.token, { password: PASSWORD })).status).toBe(401);
    });

    it('asks an account without a password (single sign-on) to type its username instead', async () => {
      const u = await register('sso');
      await q('UPDATE users SET password_hash = NULL WHERE id = $1', [u.id]);
      const policy = await call('GET', '/auth/me/deletion-policy', u.token);
      expect(policy).toMatchObject({
        status: 200,
        body: { confirmWith: 'username', eraseMessages: 'allowed' },
      });
      for (const body of [{ password: PASSWORD }, { confirm: 'someone-else' }]) {
        const res = await call('DELETE', '/auth/me', u.token, body);
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
        expect(res.body.message).toMatch(/username/);
      }
      expect((await call('GET', '/auth/me', u.token)).status).toBe(200);
      const res = await call('DELETE', '/auth/me', u.token, { confirm: u.username.toUpperCase() });
      expect(res.status).toBe(204);
      expect((await call('GET', '/auth/me', u.token)).status).toBe(401);
    });

    it('tells a password account what deletion asks for', async () => {
      const u = await register('pol');
      const policy = await call('GET', '/auth/me/deletion-policy', u.token);
      expect(policy.status).toBe(200);
      expect(policy.body).toEqual({ confirmWith: 'password', eraseMessages: 'allowed' });
      expect((await call('GET', '/auth/me/deletion-policy')).status).toBe(401);
    });

    it('keeps the last admin: 409 CONFLICT for them, 204 once another admin exists', async () => {
      const res = await call('DELETE', '/auth/me', admin.token, { password: ADMIN_PASSWORD });
      expect([res.status, res.body.code]).toEqual([409, 'CONFLICT']);
      expect((await login(adminName, ADMIN_PASSWORD)).status).toBe(200);

      const second = await register('admin2');
      const promoted = await call('PATCH', `/auth/users/${second.id}/roles`, admin.token, {
        roles: ['admin', 'member'],
      });
      expect(promoted.status).toBe(200);
      expect((await call('DELETE', '/auth/me', second.token, { password: PASSWORD })).status).toBe(204);
      // The one left is the last one again.
      expect((await call('DELETE', '/auth/me', admin.token, { password: ADMIN_PASSWORD })).status).toBe(409);
    });
  });

  describe('DELETE /auth/users/:id (admin deactivation)', () => {
    it('refuses members (403) and anonymous callers (401); the target is untouched', async () => {
      const [member, target] = [await register('mem'), await register('tgt')];
      expect((await call('DELETE', `/auth/users/${target.id}`, member.token)).status).toBe(403);
      expect((await call('DELETE', `/auth/users/${target.id}`)).status).toBe(401);
      expect((await call('GET', '/auth/me', target.token)).status).toBe(200);
    });

    it('refuses to deactivate oneself (use DELETE /auth/me)', async () => {
      const res = await call('DELETE', `/auth/users/${admin.id}`, admin.token);
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(res.body.message).toContain('DELETE /auth/me');
      expect((await call('GET', '/auth/me', admin.token)).status).toBe(200);
    });

    it('deactivates with the same erasure and records user.deactivated with the old name, in the same transaction', async () => {
      const target = await register('gone');
      const res = await call('DELETE', `/auth/users/${target.id}`, admin.token);
      expect(res.status).toBe(204);
      expect((await call('GET', '/auth/me', target.token)).status).toBe(401);
      expect((await login(target.username)).status).toBe(401);
      const [row] = await q('SELECT username, deactivated_at FROM users WHERE id = $1', [target.id]);
      expect(row.username).toMatch(PLACEHOLDER);
      expect(row.deactivated_at).toEqual(expect.any(Date));
      const audit = await q(
        `SELECT actor_id, actor_name, action, target_type, target_id, target_name, details
           FROM audit_events WHERE target_id = $1`,
        [target.id],
      );
      expect(audit).toEqual([
        {
          actor_id: admin.id,
          actor_name: adminName,
          action: 'user.deactivated',
          target_type: 'user',
          target_id: target.id,
          target_name: target.username,
          details: { eraseMessages: false },
        },
      ]);
      // Gone already, or never there: 404, and no second entry.
      for (const id of [target.id, '00000000-0000-4000-8000-000000000000']) {
        const again = await call('DELETE', `/auth/users/${id}`, admin.token);
        expect([again.status, again.body.code]).toEqual([404, 'NOT_FOUND']);
      }
      expect(await q('SELECT 1 FROM audit_events WHERE target_id = $1', [target.id])).toHaveLength(1);
    });

    it('refuses extra fields in its optional body', async () => {
      const target = await register('body');
      const res = await call('DELETE', `/auth/users/${target.id}`, admin.token, { reason: 'spam' });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
      expect((await call('GET', '/auth/me', target.token)).status).toBe(200);
    });
  });

  describe('GET /auth/me/export', () => {
    let alice: TestUser & { refreshToken: string };
    let bob: TestUser;
    let channelId: string;
    const channelName = uniqueName('exp');

    const exportOf = async (token: string) => {
      const res = await fetch(`${auth.url}/auth/me/export`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { res, text: await res.text() };
    };

    beforeAll(async () => {
      alice = await register('alice');
      bob = await register('bob');
      const channel = await api(gw.url, alice)('POST', '/channels', { name: channelName, kind: 'public' });
      channelId = channel.body.id;
      expect((await api(gw.url, bob)('POST', `/channels/${channelId}/join`)).status).toBe(200);
    });

    it('answers 401 without a token', async () => {
      const res = await fetch(`${auth.url}/auth/me/export`);
      expect(res.status).toBe(401);
    });

    it("holds exactly the caller's account, channels, messages, files and reactions, as valid JSON", async () => {
      const asAlice = api(gw.url, alice);
      const asBob = api(gw.url, bob);
      const fileOf = async (user: TestUser, name: string) =>
        (
          await q<{ id: string }>(
            `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, status)
             VALUES ($1, $2, $3, 1234, 'image/png', 'k/' || gen_random_uuid(), 'ready') RETURNING id`,
            [channelId, user.id, name],
          )
        )[0].id;
      const aliceFile = await fileOf(alice, 'cat.png');
      const bobFile = await fileOf(bob, 'bob.png');
      const first = (
        await asAlice('POST', `/channels/${channelId}/messages`, {
          body: 'hello "world" \\ ✓',
          attachmentIds: [aliceFile],
        })
      ).body;
      const bobs = (
        await asBob('POST', `/channels/${channelId}/messages`, { body: 'bob here', attachmentIds: [bobFile] })
      ).body;
      const reply = (
        await asAlice('POST', `/channels/${channelId}/messages`, { body: 'a reply', threadId: bobs.id })
      ).body;
      const gone = (await asAlice('POST', `/channels/${channelId}/messages`, { body: 'regret' })).body;
      expect((await asAlice('DELETE', `/messages/${gone.id}`)).status).toBe(204);
      expect(
        (await asAlice('PUT', `/messages/${bobs.id}/reactions/${encodeURIComponent('👍')}`)).status,
      ).toBe(204);
      expect((await asBob('PUT', `/messages/${first.id}/reactions/${encodeURIComponent('🎉')}`)).status).toBe(
        204,
      );
      const dm = (await asAlice('POST', '/dms', { userId: bob.id })).body;

      const { res, text } = await exportOf(alice.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const today = new Date().toISOString().slice(0, 10);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="chat-export-${alice.username}-${today}.json"`,
      );
      const archive = JSON.parse(text);
      expect(Object.keys(archive)).toEqual([
        'exportedAt',
        'account',
        'channels',
        'messages',
        'files',
        'reactions',
      ]);
      expect(new Date(archive.exportedAt).toISOString()).toBe(archive.exportedAt);
      expect(archive.account).toEqual({
        id: alice.id,
        username: alice.username,
        email: null,
        roles: ['member'],
        createdAt: expect.any(String),
      });
      expect(archive.channels).toEqual(
        expect.arrayContaining([
          { id: channelId, name: channelName, kind: 'public' },
          { id: dm.id, name: bob.username, kind: 'dm' },
        ]),
      );
      expect(archive.channels).toHaveLength(2);
      expect(archive.messages).toEqual([
        {
          id: first.id,
          channelId,
          seq: first.seq,
          body: 'hello "world" \\ ✓',
          createdAt: first.createdAt,
          editedAt: null,
          deleted: false,
          attachmentIds: [aliceFile],
        },
        {
          id: reply.id,
          channelId,
          seq: reply.seq,
          body: 'a reply',
          createdAt: reply.createdAt,
          editedAt: null,
          deleted: false,
          threadRootId: bobs.id,
          attachmentIds: [],
        },
        {
          id: gone.id,
          channelId,
          seq: gone.seq,
          body: '',
          createdAt: gone.createdAt,
          editedAt: null,
          deleted: true,
          attachmentIds: [],
        },
      ]);
      expect(archive.files).toEqual([
        {
          id: aliceFile,
          channelId,
          name: 'cat.png',
          size: 1234,
          contentType: 'image/png',
          createdAt: expect.any(String),
          url: `https://chat.example.com/files/${aliceFile}`,
        },
      ]);
      expect(archive.reactions).toEqual([
        { messageId: bobs.id, channelId, emoji: '👍', createdAt: expect.any(String) },
      ]);
      expect(text).not.toContain('bob here');
      expect(text).not.toContain(bobFile);
      expect(text).not.toContain('🎉');
    });

    it('streams a long history (3,000 messages) as one valid document; a second export meanwhile gets 429; a dropped download frees the lock', async () => {
      const carol = await register('carol');
      const channel = await api(gw.url, carol)('POST', '/channels', {
        name: uniqueName('big'),
        kind: 'public',
      });
      // Long bodies, so the archive (about 6 MB) cannot all sit in socket buffers while unread.
      await q(
        `WITH ins AS (
           INSERT INTO messages (channel_id, seq, author_id, body, created_at)
           SELECT $1, s, $2, 'm' || s || ' ' || repeat('x', 2000), now() - (3000 - s) * interval '1 ms'
             FROM generate_series(1, 3000) s RETURNING 1)
         UPDATE channels SET last_seq = 3000 WHERE id = $1`,
        [channel.body.id, carol.id],
      );

      // The first download is left unread: the server waits on backpressure, holding the lock.
      const slow = new AbortController();
      const first = await fetch(`${auth.url}/auth/me/export`, {
        headers: { authorization: `Bearer ${carol.token}` },
        signal: slow.signal,
      });
      expect(first.status).toBe(200);
      const second = await request(auth.url, 'GET', '/auth/me/export', { token: carol.token });
      expect([second.status, second.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(second.headers.get('retry-after')).toMatch(/^\d+$/);

      // The client goes away mid-stream: the export stops and the lock is free again soon.
      slow.abort();
      let next: Awaited<ReturnType<typeof exportOf>> | undefined;
      for (let i = 0; i < 50; i++) {
        next = await exportOf(carol.token);
        if (next.res.status !== 429) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(next!.res.status).toBe(200);
      const archive = JSON.parse(next!.text);
      expect(archive.messages).toHaveLength(3000);
      expect(archive.messages.map((m: { seq: number }) => m.seq)).toEqual(
        Array.from({ length: 3000 }, (_, i) => i + 1),
      );
      expect(archive.messages[2999].body).toMatch(/^m3000 x{2000}$/);
      // Still answering, and others' exports were never blocked.
      expect((await exportOf(alice.token)).res.status).toBe(200);
    });
  });

  describe('with ACCOUNT_ERASE_MESSAGES=never', () => {
    let strict: Running & { jwksUrl: string };

    beforeAll(async () => {
      strict = await startAuth({ DATABASE_URL: db.url, ACCOUNT_ERASE_MESSAGES: 'never' });
    });
    afterAll(() => strict?.close());

    it('refuses eraseMessages with 400 naming the policy, and still deletes without it', async () => {
      const r = await registerUser(strict.url, uniqueName('strict'), PASSWORD);
      const policy = await request(strict.url, 'GET', '/auth/me/deletion-policy', { token: r.accessToken });
      expect(policy.body).toEqual({ confirmWith: 'password', eraseMessages: 'never' });
      const refused = await request(strict.url, 'DELETE', '/auth/me', {
        token: r.accessToken,
        body: { password: PASSWORD, eraseMessages: true },
      });
      expect([refused.status, refused.body.code]).toEqual([400, 'VALIDATION']);
      expect(refused.body.message).toContain('ACCOUNT_ERASE_MESSAGES');
      expect((await request(strict.url, 'GET', '/auth/me', { token: r.accessToken })).status).toBe(200);
      const ok = await request(strict.url, 'DELETE', '/auth/me', {
        token: r.accessToken,
        body: { password: PASSWORD, eraseMessages: false },
      });
      expect(ok.status).toBe(204);
    });
  });
});
