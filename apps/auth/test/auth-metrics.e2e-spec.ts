import type { AuthResult } from '@chat/contracts';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';

const PASSWORD = 'password-123';

/** `name{labels} value` lines of a Prometheus text exposition, as a map keyed by `name{labels}`. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/**
 * What an operator's alerts read from auth's /metrics (docs/operations.md "AuthLoginFailureSpike",
 * "AuthRefreshTokenReuse"): refused logins by reason, refresh-token reuse, bans and role changes,
 * against a real auth service on Postgres and Redis.
 */
describe('auth security metrics at /metrics (e2e)', () => {
  let auth: Running;
  let admin: AuthResult;
  const adminName = uniqueName('admin');

  beforeAll(async () => {
    auth = await startAuth({
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD: 'admin-password-1',
      LOGIN_MAX_FAILURES_PER_USER: '3',
    });
    admin = (
      await request<AuthResult>(auth.url, 'POST', '/auth/login', {
        body: { username: adminName, password: 'admin-password-1' },
      })
    ).body;
  });
  afterAll(() => auth.close());

  const scrape = async (): Promise<{ text: string; samples: Map<string, number> }> => {
    const res = await fetch(`${auth.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    return { text, samples: parseExposition(text) };
  };
  const value = (samples: Map<string, number>, series: string): number => {
    const v = samples.get(series);
    if (v === undefined) throw new Error(`${series} is not exposed`);
    return v;
  };
  const failures = (samples: Map<string, number>, reason: string) =>
    value(samples, `auth_login_failures_total{reason="${reason}",service="auth"}`);
  const login = (username: string, password: string) =>
    request(auth.url, 'POST', '/auth/login', { body: { username, password } });

  it('exposes every series from the start, at 0, so the first event already moves rate()', async () => {
    const fresh = await startAuth();
    try {
      const samples = parseExposition(await (await fetch(`${fresh.url}/metrics`)).text());
      for (const reason of ['bad_password', 'unknown_user', 'throttled', 'banned', 'bad_code'])
        expect(failures(samples, reason)).toBe(0);
      expect(value(samples, 'auth_refresh_token_reuse_total{service="auth"}')).toBe(0);
      expect(value(samples, 'auth_bans_total{action="ban",service="auth"}')).toBe(0);
      expect(value(samples, 'auth_bans_total{action="unban",service="auth"}')).toBe(0);
      expect(value(samples, 'auth_role_changes_total{service="auth"}')).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('counts wrong passwords, then the throttled attempts, while the client sees 401 then 429', async () => {
    const username = uniqueName('victim');
    await registerUser(auth.url, username, PASSWORD);
    const before = (await scrape()).samples;

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(username, `wrong-password-${i}`)).status);
    // LOGIN_MAX_FAILURES_PER_USER=3: the fourth and fifth guesses are refused before argon2 runs.
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Throttled even with the right password, and counted as throttled, not as a success.
    expect((await login(username, PASSWORD)).status).toBe(429);

    const { samples, text } = await scrape();
    expect(failures(samples, 'bad_password') - failures(before, 'bad_password')).toBe(3);
    expect(failures(samples, 'throttled') - failures(before, 'throttled')).toBe(3);
    expect(failures(samples, 'unknown_user')).toBe(failures(before, 'unknown_user'));
    // Labels never carry who: a username in a label would be unbounded cardinality and a leak.
    expect(text).not.toContain(username);
    expect(text).not.toContain('wrong-password');
  });

  it('counts unknown usernames apart from wrong passwords, with the same answer to the client', async () => {
    const before = (await scrape()).samples;
    const unknown = await login(uniqueName('nobody'), PASSWORD);
    const username = uniqueName('known');
    await registerUser(auth.url, username, PASSWORD);
    const wrong = await login(username, 'not-the-password');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.code).toBe(wrong.body.code);
    expect(unknown.body.message).toBe(wrong.body.message);

    const after = (await scrape()).samples;
    expect(failures(after, 'unknown_user') - failures(before, 'unknown_user')).toBe(1);
    expect(failures(after, 'bad_password') - failures(before, 'bad_password')).toBe(1);
  });

  it('counts a correct login refused because of a ban, and the ban, unban and role change', async () => {
    const username = uniqueName('banned');
    const user = await registerUser(auth.url, username, PASSWORD);
    const before = (await scrape()).samples;
    const asAdmin = (method: string, path: string, body?: unknown) =>
      request(auth.url, method, path, { token: admin.accessToken, body });

    expect((await asAdmin('POST', `/auth/users/${user.user.id}/ban`)).status).toBe(204);
    const refused = await login(username, PASSWORD);
    expect(refused.status).toBe(401);
    expect((await asAdmin('DELETE', `/auth/users/${user.user.id}/ban`)).status).toBe(204);
    expect((await login(username, PASSWORD)).status).toBe(200);
    expect(
      (await asAdmin('PATCH', `/auth/users/${user.user.id}/roles`, { roles: ['moderator'] })).status,
    ).toBe(200);
    // Refused moderation (a member trying to ban) changes nothing and counts nothing.
    const member = await registerUser(auth.url);
    const attempt = await request(auth.url, 'POST', `/auth/users/${user.user.id}/ban`, {
      token: member.accessToken,
    });
    expect(attempt.status).toBe(403);

    const after = (await scrape()).samples;
    expect(failures(after, 'banned') - failures(before, 'banned')).toBe(1);
    expect(failures(after, 'bad_password')).toBe(failures(before, 'bad_password'));
    const bans = (s: Map<string, number>, action: string) =>
      value(s, `auth_bans_total{action="${action}",service="auth"}`);
    expect(bans(after, 'ban') - bans(before, 'ban')).toBe(1);
    expect(bans(after, 'unban') - bans(before, 'unban')).toBe(1);
    const roles = (s: Map<string, number>) => value(s, 'auth_role_changes_total{service="auth"}');
    expect(roles(after) - roles(before)).toBe(1);
  });

  it('counts the replay of a spent refresh token once, and not an ordinary rotation', async () => {
    const reuse = (s: Map<string, number>) => value(s, 'auth_refresh_token_reuse_total{service="auth"}');
    const first = await registerUser(auth.url);
    const before = (await scrape()).samples;

    const rotated = await request<AuthResult>(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(rotated.status).toBe(200);
    expect(reuse((await scrape()).samples)).toBe(reuse(before));

    // The thief (or a replay) presents the spent token: refused, session revoked, counted.
    const replay = await request(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(replay.status).toBe(401);
    // The legitimate holder's newer token died with the session: refused, but not another reuse.
    const revoked = await request(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: rotated.body.refreshToken },
    });
    expect(revoked.status).toBe(401);
    // Garbage is not reuse either.
    expect(
      (await request(auth.url, 'POST', '/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } })).status,
    ).toBe(401);

    expect(reuse((await scrape()).samples) - reuse(before)).toBe(1);
  });
});
