import { randomBytes } from 'node:crypto';
import type { AdminUser, UserPage } from '@chat/contracts';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { closeSql, loginAdmin, setRoles, sql, type TestUser } from '../../../test/support/gateway';

const ADMIN_PASSWORD = 'admin-password-123';
const PASSWORD = 'password-123';
const ADMIN_USER_KEYS = [
  'bot',
  'createdAt',
  'id',
  'lastSeenAt',
  'roles',
  'sso',
  'status',
  'totp',
  'username',
];

/**
 * The admin console's user list (`GET /auth/users`) on the real auth service and Postgres: who may
 * read it, how it pages (keyset, no duplicates or gaps), what `q`, `status` and `role` select, what
 * each entry shows (and never shows), `lastSeenAt` moving on login and refresh, and hostile queries.
 * The run's database is shared with other suites, so each case selects its own users with `q`.
 */
describe('auth: GET /auth/users (admin console user list)', () => {
  let auth: Running;
  let admin: TestUser;

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await auth?.close();
    await closeSql();
  });

  const listAs = (token: string | undefined, query: string) =>
    request<UserPage>(auth.url, 'GET', `/auth/users${query}`, { token });
  const list = (query: string) => listAs(admin.token, query);
  const register = async (username: string) => {
    const res = await request(auth.url, 'POST', '/auth/register', { body: { username, password: PASSWORD } });
    expect(res.status).toBe(201);
    return {
      id: res.body.user.id as string,
      username,
      token: res.body.accessToken as string,
      refreshToken: res.body.refreshToken as string,
    };
  };
  /** A tag only this case's usernames contain (letters and digits: collations agree on those). */
  const tag = () => `t${randomBytes(4).toString('hex')}`;

  it('pages through every match by username, case-insensitively, with no duplicates or gaps', async () => {
    const t = tag();
    // Created out of order and in mixed case; listed by lower(username).
    const suffixes = ['g', 'B', 'e', 'A', 'f', 'C', 'd'];
    const made = [];
    for (const s of suffixes) made.push(await register(`${s === s.toUpperCase() ? t.toUpperCase() : t}${s}`));
    const expected = [...made].sort((a, b) =>
      a.username.toLowerCase().localeCompare(b.username.toLowerCase()),
    );

    const seen: AdminUser[] = [];
    const pages: number[] = [];
    let after = '';
    for (let i = 0; i < 10; i++) {
      const res = await list(`?q=${t}&limit=3${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.users);
      pages.push(res.body.users.length);
      if (!res.body.hasMore) break;
      after = res.body.users.at(-1)!.id;
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen.map((u) => u.username)).toEqual(expected.map((u) => u.username));
    expect(new Set(seen.map((u) => u.id)).size).toBe(made.length);

    // A page that ends exactly at the last match says so.
    const exact = await list(`?q=${t}&limit=7`);
    expect(exact.body).toMatchObject({ hasMore: false });
    expect(exact.body.users).toHaveLength(7);
  });

  it('walks the whole list (default limit 50, bots included) with each page after the last', async () => {
    const t = tag();
    const mine = [await register(`${t}a`), await register(`${t}b`)];
    const bot = await request(auth.url, 'POST', '/auth/bots', {
      token: admin.token,
      body: { username: `${t}bot` },
    });
    expect(bot.status).toBe(201);

    const first = await list('');
    expect(first.status).toBe(200);
    const ids: string[] = [];
    let after = '';
    for (let i = 0; i < 1000; i++) {
      const res = await list(`?limit=100${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.users.map((u) => u.id));
      if (!res.body.hasMore) break;
      after = res.body.users.at(-1)!.id;
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Without a limit, a page is 50 users, or fewer when it is the last.
    expect(first.body.users.length).toBeLessThanOrEqual(50);
    if (first.body.hasMore) expect(first.body.users).toHaveLength(50);
    else expect(first.body.users.length).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([admin.id, ...mine.map((u) => u.id), bot.body.user.id]));
    const listedBot = (await list(`?q=${t}bot`)).body.users;
    expect(listedBot).toEqual([
      expect.objectContaining({ id: bot.body.user.id, bot: true, status: 'active' }),
    ]);
  });

  it('shows what staff need and nothing else: status, roles, lastSeenAt, totp, sso', async () => {
    const t = tag();
    const plain = await register(`${t}plain`);
    const banned = await register(`${t}banned`);
    const gone = await register(`${t}gone`);
    const secure = await register(`${t}secure`);
    await setRoles(auth.url, admin, secure.id, ['moderator']);
    expect(
      (await request(auth.url, 'POST', `/auth/users/${banned.id}/ban`, { token: admin.token })).status,
    ).toBe(204);
    // Account deletion and TOTP/OIDC are other routes' business: set their columns directly.
    await sql(
      `UPDATE users SET deactivated_at = now(), banned_at = now(), email = 'gone@example.com' WHERE id = $1`,
      [gone.id],
    );
    await sql(
      `UPDATE users SET totp_enabled_at = now(), oidc_issuer = 'https://idp.example', oidc_subject = 's-1' WHERE id = $1`,
      [secure.id],
    );

    const res = await list(`?q=${t}`);
    expect(res.status).toBe(200);
    for (const u of res.body.users) expect(Object.keys(u).sort()).toEqual(ADMIN_USER_KEYS);
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash|gone@example|secret|email/i);
    const byName = Object.fromEntries(res.body.users.map((u) => [u.username, u]));
    expect(byName[`${t}plain`]).toEqual({
      id: plain.id,
      username: `${t}plain`,
      roles: ['member'],
      createdAt: expect.any(String),
      bot: false,
      status: 'active',
      lastSeenAt: expect.any(String),
      totp: false,
      sso: false,
    });
    expect(byName[`${t}banned`]).toMatchObject({ status: 'banned' });
    // Deactivated wins over banned.
    expect(byName[`${t}gone`]).toMatchObject({ status: 'deactivated' });
    expect(byName[`${t}secure`]).toMatchObject({ roles: ['moderator', 'member'], totp: true, sso: true });

    const names = async (query: string) => (await list(`?q=${t}${query}`)).body.users.map((u) => u.username);
    expect(await names('&status=active')).toEqual([`${t}plain`, `${t}secure`]);
    expect(await names('&status=banned')).toEqual([`${t}banned`]);
    expect(await names('&status=deactivated')).toEqual([`${t}gone`]);
    expect(await names('&role=moderator')).toEqual([`${t}secure`]);
    expect(await names('&role=admin')).toEqual([]);
    expect(await names('&role=member&status=active&limit=1')).toEqual([`${t}plain`]);
    // The admin account is found by role.
    const admins = (await list(`?role=admin&q=${admin.username}`)).body.users;
    expect(admins.map((u) => u.id)).toEqual([admin.id]);
  });

  it('matches q as a case-insensitive substring, taking % _ and \\ literally', async () => {
    const t = tag();
    const under = await register(`x${t}_y`);
    const plainA = await register(`x${t}ay`);
    const ids = async (q: string) =>
      (await list(`?q=${encodeURIComponent(q)}`)).body.users
        .map((u) => u.id)
        .filter((id) => [under.id, plainA.id].includes(id));
    expect((await ids(t.toUpperCase())).sort()).toEqual([under.id, plainA.id].sort());
    expect(await ids(`${t}_`)).toEqual([under.id]);
    expect(await ids(`${t}%`)).toEqual([]);
    expect((await list(`?q=${encodeURIComponent('%')}`)).body.users).toEqual([]);
    expect((await list(`?q=${encodeURIComponent('\\')}`)).body).toEqual({ users: [], hasMore: false });
    expect((await list(`?q=${encodeURIComponent("'; DROP TABLE users; --")}`)).body.users).toEqual([]);
    // An empty q is no filter.
    expect((await list('?q=&limit=1')).body.users).toHaveLength(1);
  });

  it('moves lastSeenAt on login and on every refresh', async () => {
    const u = await register(tag());
    const lastSeen = async () =>
      (await list(`?q=${u.username}`)).body.users.find((x) => x.id === u.id)!.lastSeenAt;
    const backdate = () =>
      sql(`UPDATE users SET last_seen_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [u.id]);
    const recent = (iso: string | null) => {
      expect(iso).not.toBeNull();
      expect(Math.abs(Date.parse(iso!) - Date.now())).toBeLessThan(60_000);
    };
    recent(await lastSeen()); // registering is a login

    await backdate();
    expect(await lastSeen()).toBe('2020-01-01T00:00:00.000Z');
    const login = await request(auth.url, 'POST', '/auth/login', {
      body: { username: u.username, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    recent(await lastSeen());

    await backdate();
    const refreshed = await request(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    recent(await lastSeen());

    // A refused refresh (the spent token again) is no sign of life.
    await backdate();
    const replay = await request(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(await lastSeen()).toBe('2020-01-01T00:00:00.000Z');
    // Nor is a failed login.
    const wrong = await request(auth.url, 'POST', '/auth/login', {
      body: { username: u.username, password: 'wrong-password' },
    });
    expect(wrong.status).toBe(401);
    expect(await lastSeen()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('is for admins and moderators: 403 FORBIDDEN for members and bots, 401 without a token', async () => {
    const member = await register(tag());
    const moderator = await register(tag());
    await setRoles(auth.url, admin, moderator.id, ['moderator']);
    const modRes = await listAs(moderator.token, `?q=${moderator.username}`);
    expect(modRes.status).toBe(200);
    expect(modRes.body.users.map((u) => u.id)).toEqual([moderator.id]);

    const bot = await request(auth.url, 'POST', '/auth/bots', {
      token: admin.token,
      body: { username: tag() },
    });
    for (const [token, status, code] of [
      [member.token, 403, 'FORBIDDEN'],
      [bot.body.token as string, 403, 'FORBIDDEN'],
      [undefined, 401, 'UNAUTHORIZED'],
      ['not-a-token', 401, 'UNAUTHORIZED'],
    ] as const) {
      const res = await listAs(token, '');
      expect(res.status).toBe(status);
      expect(res.body).toEqual({
        statusCode: status,
        code,
        message: expect.any(String),
        requestId: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toContain(admin.username);
    }
  });

  it('refuses hostile query strings with 400 VALIDATION and keeps answering', async () => {
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=-1',
      '?limit=1.5',
      '?limit=abc',
      '?limit=',
      '?limit=1&limit=2',
      '?after=not-a-uuid',
      `?after=${encodeURIComponent("00000000-0000-4000-8000-000000000000' OR 1=1 --")}`,
      '?status=ACTIVE',
      '?status=deleted',
      '?role=owner',
      '?role[]=admin',
      '?q=a&q=b',
      `?q=${'a'.repeat(33)}`,
      '?q[$ne]=x',
      '?offset=10',
      '?__proto__[admin]=1',
    ]) {
      const res = await list(query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION', requestId: expect.any(String) });
    }
    // A well-formed cursor naming no user is an empty page, not an error.
    expect((await list(`?after=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).body).toEqual({
      users: [],
      hasMore: false,
    });
    // Upper-case UUIDs are ids too.
    const first = (await list('?limit=1')).body.users[0];
    const next = await list(`?limit=1&after=${first.id.toUpperCase()}`);
    expect(next.status).toBe(200);
    expect(next.body.users[0]?.id).not.toBe(first.id);
    // Long query strings: refused by validation, or at the edge (Node drops the connection past its
    // header budget); either way the service still answers.
    expect((await list(`?q=${'a'.repeat(8000)}`)).status).toBe(400);
    const huge = await list(`?q=${'a'.repeat(100_000)}`).then(
      (res) => res.status,
      () => 'dropped',
    );
    expect([400, 414, 431, 'dropped']).toContain(huge);
    expect((await list('?limit=1')).status).toBe(200);
  });
});
