import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { AuditEvent, AuditPage, BotCreated } from '@chat/contracts';
import { AuditRetention } from '../src/admin/audit-retention';
import { request, startAuth, uniqueName, type JsonResponse, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';
import { loginAdmin, type TestUser } from '../../../test/support/gateway';

const ADMIN_PASSWORD = 'admin-password-123';
const RETENTION_DAYS = 30;
/** The front door in this suite: X-Forwarded-For from it names the client (TRUSTED_PROXIES). */
const FRONT_DOOR = '127.0.0.1/32';
/** The retention sweep's advisory lock (audit-retention.repository.ts). */
const RETENTION_LOCK = 7_364_120_002;

/**
 * The audit log on the real auth service and Postgres, in a database of its own (the sweep and the
 * sign-in settings are global): each audited action appears with who, what, the request id the
 * front door sent and the client's address; refused actions leave nothing; `GET /auth/audit` pages,
 * filters and refuses hostile queries; the table is append-only; the retention sweep deletes old
 * entries only. Also the sign-in settings routes, whose changes are audited.
 */
describe('auth: audit log, sign-in settings and retention', () => {
  let db: { url: string; drop(): Promise<void> };
  let auth: Running;
  let sql: Client;
  let admin: TestUser;

  beforeAll(async () => {
    db = await freshDatabase();
    const adminName = uniqueName('admin');
    auth = await startAuth({
      DATABASE_URL: db.url,
      REDIS_URL: '',
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD,
      TRUSTED_PROXIES: FRONT_DOOR,
      AUDIT_RETENTION_DAYS: String(RETENTION_DAYS),
    });
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await auth?.close();
    await db?.drop();
  });

  interface CallOptions {
    token?: string;
    body?: unknown;
    requestId?: string;
    client?: string;
  }
  const call = (method: string, path: string, opts: CallOptions = {}): Promise<JsonResponse> =>
    request(auth.url, method, path, {
      token: opts.token,
      body: opts.body,
      headers: {
        ...(opts.requestId ? { 'x-request-id': opts.requestId } : {}),
        ...(opts.client ? { 'x-forwarded-for': opts.client } : {}),
      },
    });
  const audit = async (query = '', token = admin.token): Promise<AuditEvent[]> => {
    const res = await request<AuditPage>(auth.url, 'GET', `/auth/audit${query}`, { token });
    expect(res.status).toBe(200);
    return res.body.events;
  };
  const register = async (prefix = 'u'): Promise<TestUser> => {
    const res = await call('POST', '/auth/register', {
      body: { username: uniqueName(prefix), password: 'password-123' },
    });
    expect(res.status).toBe(201);
    return { id: res.body.user.id, username: res.body.user.username, token: res.body.accessToken };
  };
  const makeModerator = async (): Promise<TestUser> => {
    const mod = await register('mod');
    expect(
      (
        await call('PATCH', `/auth/users/${mod.id}/roles`, {
          token: admin.token,
          body: { roles: ['moderator'] },
        })
      ).status,
    ).toBe(200);
    return mod;
  };
  const count = async () => Number((await sql.query(`SELECT count(*) FROM audit_events`)).rows[0].count);
  const rid = () => `req-${randomBytes(6).toString('hex')}`;
  const recent = (iso: string) => Math.abs(Date.parse(iso) - Date.now()) < 60_000;

  it('records a role change with actor, target, from/to, the request id sent and the client address', async () => {
    const alice = await register('alice');
    const requestId = rid();
    const res = await call('PATCH', `/auth/users/${alice.id}/roles`, {
      token: admin.token,
      body: { roles: ['member', 'moderator'] },
      requestId,
      client: '198.51.100.7',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);

    const events = await audit(`?targetId=${alice.id}`);
    expect(events).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        at: expect.any(String),
        actor: { id: admin.id, username: admin.username },
        action: 'user.roles_changed',
        target: { type: 'user', id: alice.id, name: alice.username },
        details: { from: ['member'], to: ['moderator', 'member'], requestId, clientAddress: '198.51.100.7' },
      },
    ]);
    expect(recent(events[0].at)).toBe(true);

    // Setting the same roles again changes nothing and records nothing.
    const before = await count();
    expect(
      (
        await call('PATCH', `/auth/users/${alice.id}/roles`, {
          token: admin.token,
          body: { roles: ['moderator'] },
        })
      ).status,
    ).toBe(200);
    expect(await count()).toBe(before);
    // Back to member: recorded the other way round.
    await call('PATCH', `/auth/users/${alice.id}/roles`, { token: admin.token, body: { roles: [] } });
    const [latest] = await audit(`?targetId=${alice.id}&limit=1`);
    expect(latest.details).toMatchObject({ from: ['moderator', 'member'], to: ['member'] });
  });

  it('records bans and unbans by a moderator once each, with the id the service gave the request', async () => {
    const mod = await makeModerator();
    const bob = await register('bob');
    // An X-Request-Id that is not sane is replaced: the service's own id, as echoed, is recorded.
    const insane = `bad id; ${'x'.repeat(200)}`;
    const ban = await call('POST', `/auth/users/${bob.id}/ban`, { token: mod.token, requestId: insane });
    expect(ban.status).toBe(204);
    expect(ban.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Banned already: 204, and no second entry.
    expect((await call('POST', `/auth/users/${bob.id}/ban`, { token: mod.token })).status).toBe(204);
    const unban = await call('DELETE', `/auth/users/${bob.id}/ban`, {
      token: mod.token,
      client: '203.0.113.9',
    });
    expect(unban.status).toBe(204);

    const events = await audit(`?targetId=${bob.id}`);
    expect(events.map((e) => e.action)).toEqual(['user.unbanned', 'user.banned']);
    for (const e of events) {
      expect(e.actor).toEqual({ id: mod.id, username: mod.username });
      expect(e.target).toEqual({ type: 'user', id: bob.id, name: bob.username });
    }
    expect(events[1].details).toEqual({
      requestId: ban.headers.get('x-request-id'),
      clientAddress: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
    });
    expect(events[0].details).toEqual({
      requestId: unban.headers.get('x-request-id'),
      clientAddress: '203.0.113.9',
    });
    // Filters: by action, by actor.
    expect((await audit(`?action=user.banned&targetId=${bob.id}`)).map((e) => e.id)).toEqual([events[1].id]);
    expect((await audit(`?actorId=${mod.id}`)).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('records bots created and deleted', async () => {
    const username = uniqueName('bot');
    const requestId = rid();
    const created = await call('POST', '/auth/bots', { token: admin.token, body: { username }, requestId });
    expect(created.status).toBe(201);
    const bot = created.body as BotCreated;
    const removed = await call('DELETE', `/auth/bots/${bot.user.id}`, {
      token: admin.token,
      client: '192.0.2.44',
    });
    expect(removed.status).toBe(204);
    // Deleting it again is a 404, and no second entry.
    expect((await call('DELETE', `/auth/bots/${bot.user.id}`, { token: admin.token })).status).toBe(404);

    const events = await audit(`?targetId=${bot.user.id}`);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'bot.revoked',
        actor: { id: admin.id, username: admin.username },
        target: { type: 'user', id: bot.user.id, name: username },
        details: { requestId: removed.headers.get('x-request-id'), clientAddress: '192.0.2.44' },
      }),
      expect.objectContaining({
        action: 'bot.created',
        target: { type: 'user', id: bot.user.id, name: username },
        details: { requestId, clientAddress: expect.any(String) },
      }),
    ]);
    // Never the token.
    expect(JSON.stringify(await audit())).not.toContain(bot.token);
  });

  it('leaves no entry for a refused or failed action', async () => {
    const mod = await makeModerator();
    const carol = await register('carol');
    const before = await count();
    // The last admin cannot be demoted: 409, and nothing recorded.
    const demote = await call('PATCH', `/auth/users/${admin.id}/roles`, {
      token: admin.token,
      body: { roles: ['member'] },
    });
    expect(demote.status).toBe(409);
    expect(demote.body).toMatchObject({ code: 'CONFLICT' });
    // A moderator may not ban an admin; nobody bans themselves; a user who does not exist.
    expect((await call('POST', `/auth/users/${admin.id}/ban`, { token: mod.token })).status).toBe(403);
    expect((await call('POST', `/auth/users/${mod.id}/ban`, { token: mod.token })).status).toBe(403);
    const nobody = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    expect((await call('POST', `/auth/users/${nobody}/ban`, { token: admin.token })).status).toBe(404);
    // A member cannot change roles, and a bot name that is taken is a 409.
    expect(
      (
        await call('PATCH', `/auth/users/${carol.id}/roles`, {
          token: carol.token,
          body: { roles: ['admin'] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call('POST', '/auth/bots', { token: admin.token, body: { username: carol.username } })).status,
    ).toBe(409);
    expect(await count()).toBe(before);
    expect(await audit(`?targetId=${admin.id}`)).toEqual([]);
  });

  it("records in the action's own transaction: when the entry cannot be written, the action does not happen", async () => {
    const doomed = await register('doomed');
    const botName = uniqueName('doomedbot');
    await sql.query(`
      CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit storage failed'; END $$`);
    await sql.query(`
      CREATE TRIGGER refuse_doomed BEFORE INSERT ON audit_events FOR EACH ROW
        WHEN (NEW.target_name IN ('${doomed.username}', '${botName}')) EXECUTE FUNCTION refuse_doomed()`);
    try {
      const ban = await call('POST', `/auth/users/${doomed.id}/ban`, { token: admin.token });
      expect(ban.status).toBe(500);
      expect(ban.body).toMatchObject({ code: 'INTERNAL' });
      expect(JSON.stringify(ban.body)).not.toContain('audit storage failed');
      const roles = await call('PATCH', `/auth/users/${doomed.id}/roles`, {
        token: admin.token,
        body: { roles: ['admin'] },
      });
      expect(roles.status).toBe(500);
      const bot = await call('POST', '/auth/bots', { token: admin.token, body: { username: botName } });
      expect(bot.status).toBe(500);
    } finally {
      await sql.query(`DROP TRIGGER refuse_doomed ON audit_events`);
      await sql.query(`DROP FUNCTION refuse_doomed()`);
    }
    // Not banned, not promoted: the user still logs in as a member; the bot was never created.
    const login = await call('POST', '/auth/login', {
      body: { username: doomed.username, password: 'password-123' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['member']);
    const listed = await call('GET', `/auth/users?q=${botName}`, { token: admin.token });
    expect(listed.body).toEqual({ users: [], hasMore: false });
    expect(await audit(`?targetId=${doomed.id}`)).toEqual([]);
  });

  it('pages newest first with no duplicates or gaps, and filters by time', async () => {
    const dave = await register('dave');
    const ids: string[] = [];
    for (const roles of [['moderator'], [], ['moderator'], [], ['moderator']]) {
      await call('PATCH', `/auth/users/${dave.id}/roles`, { token: admin.token, body: { roles } });
    }
    const all = await audit(`?targetId=${dave.id}`);
    expect(all).toHaveLength(5);
    let after = '';
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await request<AuditPage>(
        auth.url,
        'GET',
        `/auth/audit?targetId=${dave.id}&limit=2${after ? `&after=${after}` : ''}`,
        { token: admin.token },
      );
      ids.push(...res.body.events.map((e) => e.id));
      sizes.push(res.body.events.length);
      if (!res.body.hasMore) break;
      after = res.body.events.at(-1)!.id;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(ids).toEqual(all.map((e) => e.id));
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    // The newest says to: ['moderator', 'member'] (the last change).
    expect(all[0].details).toMatchObject({ to: ['moderator', 'member'] });

    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    expect(await audit(`?targetId=${dave.id}&since=${hourAgo}&until=${inAnHour}`)).toHaveLength(5);
    expect(await audit(`?targetId=${dave.id}&since=${inAnHour}`)).toEqual([]);
    expect(await audit(`?targetId=${dave.id}&until=${hourAgo}`)).toEqual([]);
    expect(await audit(`?targetId=${dave.id}&since=2020-01-01&until=2020-01-01`)).toEqual([]);
  });

  it('is for admins only: 403 for moderators, members and bots, 401 without a token', async () => {
    const mod = await makeModerator();
    const member = await register('member');
    const bot = (
      await call('POST', '/auth/bots', { token: admin.token, body: { username: uniqueName('bot') } })
    ).body as BotCreated;
    for (const [token, status] of [
      [mod.token, 403],
      [member.token, 403],
      [bot.token, 403],
      [undefined, 401],
      ['Bearer-garbage', 401],
    ] as const) {
      for (const [method, path, body] of [
        ['GET', '/auth/audit', undefined],
        ['GET', '/auth/settings/sign-in', undefined],
        ['PUT', '/auth/settings/sign-in', { requireTotp: true }],
      ] as const) {
        const res = await call(method, path, { token, body });
        expect({ method, path, status: res.status }).toEqual({ method, path, status });
        expect(res.body).toEqual({
          statusCode: status,
          code: status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED',
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
    }
    // Nothing changed on the way.
    expect((await call('GET', '/auth/settings/sign-in', { token: admin.token })).body).toMatchObject({
      requireTotp: false,
    });
  });

  it('refuses hostile audit queries with 400 VALIDATION and keeps answering', async () => {
    for (const query of [
      '?after=not-a-uuid',
      '?actorId=12345',
      `?actorId=${encodeURIComponent("' OR 1=1 --")}`,
      '?targetId=1234-zz',
      `?targetId=${'a'.repeat(65)}`,
      '?targetId=',
      '?action=user.exploded',
      '?action=USER.BANNED',
      '?action=user.banned&action=user.unbanned',
      '?since=yesterday',
      '?since=2026-13-01',
      '?since=2026-02-30T00:00:00Z',
      '?until=1700000000',
      `?since=2026-01-01T00:00:00${'0'.repeat(1000)}Z`,
      '?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?offset=5',
      '?action[]=user.banned',
    ]) {
      const res = await request(auth.url, 'GET', `/auth/audit${query}`, { token: admin.token });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
    }
    // Well-formed but matching nothing: an empty page.
    expect(await audit(`?after=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).toEqual([]);
    expect(await audit('?targetId=nothing-here')).toEqual([]);
    expect((await audit('?limit=1')).length).toBe(1);
  });

  it('serves and changes sign-in settings (admin), auditing each real change, and refuses bad bodies', async () => {
    const get = () => call('GET', '/auth/settings/sign-in', { token: admin.token });
    const put = (body: unknown, requestId?: string) =>
      call('PUT', '/auth/settings/sign-in', { token: admin.token, body, requestId, client: '198.51.100.20' });
    const options = () => call('GET', '/auth/sign-in-options');

    expect((await get()).body).toEqual({ passwordLogin: true, oidcCreateAccounts: true, requireTotp: false });
    expect((await options()).body).toEqual({ passwordLogin: true, oidc: null });

    const before = await count();
    for (const body of [
      {},
      { nope: true },
      { passwordLogin: 'false' },
      { passwordLogin: null },
      { requireTotp: 1 },
      [],
      [{ requireTotp: true }],
    ]) {
      const res = await put(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toMatchObject({ code: 'VALIDATION' });
    }
    const noBody = await call('PUT', '/auth/settings/sign-in', { token: admin.token });
    expect(noBody.status).toBe(400);
    const notJson = await request(auth.url, 'PUT', '/auth/settings/sign-in', {
      token: admin.token,
      raw: '{"requireTotp":',
    });
    expect(notJson.status).toBe(400);
    expect(await count()).toBe(before);

    const requestId = rid();
    const changed = await put({ passwordLogin: false, oidcCreateAccounts: false }, requestId);
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ passwordLogin: false, oidcCreateAccounts: false, requireTotp: false });
    expect((await get()).body).toEqual(changed.body);
    // The login screen follows at once.
    expect((await options()).body).toEqual({ passwordLogin: false, oidc: null });

    const [entry] = await audit('?action=settings.sign_in_changed&limit=1');
    expect(entry).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: { id: admin.id, username: admin.username },
      action: 'settings.sign_in_changed',
      target: { type: 'settings', id: 'sign-in', name: 'Sign-in settings' },
      details: {
        passwordLogin: { from: true, to: false },
        oidcCreateAccounts: { from: true, to: false },
        requestId,
        clientAddress: '198.51.100.20',
      },
    });
    expect((await audit('?targetId=sign-in')).map((e) => e.id)).toEqual([entry.id]);

    // The same values again: 200, nothing recorded.
    const n = await count();
    expect((await put({ passwordLogin: false })).status).toBe(200);
    expect(await count()).toBe(n);

    expect((await put({ passwordLogin: true, oidcCreateAccounts: true })).body).toEqual({
      passwordLogin: true,
      oidcCreateAccounts: true,
      requireTotp: false,
    });
    expect((await options()).body).toEqual({ passwordLogin: true, oidc: null });
  });

  it('names the single sign-on provider in the public sign-in options when OIDC is configured', async () => {
    const sso = await startAuth({
      DATABASE_URL: db.url,
      REDIS_URL: '',
      // Discovery is lazy: the provider is never contacted by this route.
      OIDC_ISSUER: 'http://127.0.0.1:9/realms/team',
      OIDC_CLIENT_ID: 'chat',
      OIDC_CLIENT_SECRET: 'secret-value',
      OIDC_DISPLAY_NAME: 'Company SSO',
    });
    try {
      const res = await request(sso.url, 'GET', '/auth/sign-in-options');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ passwordLogin: true, oidc: { name: 'Company SSO' } });
      expect(JSON.stringify(res.body)).not.toContain('secret-value');
    } finally {
      await sso.close();
    }
  });

  it('is append-only: UPDATE and TRUNCATE are refused, and so is DELETE of an entry younger than a day', async () => {
    await call('PATCH', `/auth/users/${(await register('erin')).id}/roles`, {
      token: admin.token,
      body: { roles: ['moderator'] },
    });
    const [fresh] = await audit('?limit=1');
    await expect(
      sql.query(`UPDATE audit_events SET action = 'user.banned' WHERE id = $1`, [fresh.id]),
    ).rejects.toThrow(/append-only/);
    await expect(sql.query(`UPDATE audit_events SET details = '{}'`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`DELETE FROM audit_events WHERE id = $1`, [fresh.id])).rejects.toThrow(
      /younger than a day/,
    );
    const [still] = await audit('?limit=1');
    expect(still).toEqual(fresh);
    // An entry older than a day may go: that is how the retention sweep (below) removes them.
    const aged = (
      await sql.query(
        `INSERT INTO audit_events (at, action) VALUES (now() - interval '2 days', 'user.banned') RETURNING id`,
      )
    ).rows[0].id as string;
    expect((await sql.query(`DELETE FROM audit_events WHERE id = $1`, [aged])).rowCount).toBe(1);
  });

  it('sweeps entries older than AUDIT_RETENTION_DAYS in batches, keeps the rest, one replica at a time', async () => {
    const user = await register('frank');
    await call('PATCH', `/auth/users/${user.id}/roles`, {
      token: admin.token,
      body: { roles: ['moderator'] },
    });
    const insertAt = async (daysAgo: number, name: string) =>
      (
        await sql.query(
          `INSERT INTO audit_events (at, action, target_type, target_id, target_name)
           VALUES (now() - $1 * interval '1 day', 'user.banned', 'user', $2, $3) RETURNING id`,
          [daysAgo, user.id, name],
        )
      ).rows[0].id as string;
    const old = [];
    for (let i = 0; i < 5; i++) old.push(await insertAt(RETENTION_DAYS + 1 + i, `old-${i}`));
    const kept = await insertAt(RETENTION_DAYS - 1, 'within retention');
    const exists = async (id: string) =>
      (await sql.query(`SELECT 1 FROM audit_events WHERE id = $1`, [id])).rowCount === 1;

    const sweep = auth.app.get(AuditRetention);
    // Another replica sweeping (holding the lock): this one does nothing.
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [RETENTION_LOCK]);
      expect(await sweep.runOnce(2)).toEqual({ deleted: 0, ran: false });
      expect(await exists(old[0])).toBe(true);
      await other.query('COMMIT');
    } finally {
      await other.end();
    }

    expect(await sweep.runOnce(2)).toEqual({ deleted: 5, ran: true });
    for (const id of old) expect(await exists(id)).toBe(false);
    expect(await exists(kept)).toBe(true);
    const remaining = await audit(`?targetId=${user.id}`);
    expect(remaining.map((e) => e.target?.name)).toEqual(
      expect.arrayContaining(['within retention', user.username]),
    );
    expect(remaining).toHaveLength(2);
    // Nothing left to do.
    expect(await sweep.runOnce()).toEqual({ deleted: 0, ran: true });
  });
});
