import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { SessionCleanup } from '../src/sessions/session-cleanup';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';

/**
 * The clean-up of expired refresh tokens and ended sessions, against real Postgres and the real
 * auth service: what can no longer be used goes; live sessions, and the spent tokens reuse
 * detection still needs, stay; users notice nothing (refresh works, a replayed token is still
 * caught); two replicas cleaning at once do not trip over each other.
 */
describe('auth: clean-up of expired refresh tokens and sessions', () => {
  let db: { url: string; drop(): Promise<void> };
  let auth: Running;
  let authB: Running;
  let sql: Client;

  beforeAll(async () => {
    db = await freshDatabase();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: '',
      SESSION_CLEANUP_BATCH_SIZE: '3',
      // The timer is not what is tested here: runOnce is called directly.
      SESSION_CLEANUP_INTERVAL_SECONDS: String(7 * 24 * 3600),
    };
    [auth, authB] = await Promise.all([startAuth(env), startAuth(env)]);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await Promise.all([auth?.close(), authB?.close()]);
    await db?.drop();
  });

  const hash = (token: string) => createHash('sha256').update(token).digest('hex');
  const register = async () => {
    const username = uniqueName('clean');
    const res = await request(auth.url, 'POST', '/auth/register', {
      body: { username, password: 'password-123' },
    });
    expect(res.status).toBe(201);
    return { username, refresh: res.body.refreshToken as string };
  };
  const login = async (username: string) =>
    (await request(auth.url, 'POST', '/auth/login', { body: { username, password: 'password-123' } })).body
      .refreshToken as string;
  const refresh = (refreshToken: string) =>
    request(auth.url, 'POST', '/auth/refresh', { body: { refreshToken } });
  const sessionOf = async (token: string) =>
    (await sql.query(`SELECT session_id FROM refresh_tokens WHERE token_hash = $1`, [hash(token)])).rows[0]
      ?.session_id as string | undefined;
  const tokenExists = async (token: string) =>
    (await sql.query(`SELECT 1 FROM refresh_tokens WHERE token_hash = $1`, [hash(token)])).rowCount === 1;
  const sessionExists = async (id: string) =>
    (await sql.query(`SELECT 1 FROM login_sessions WHERE id = $1`, [id])).rowCount === 1;
  const expire = (token: string) =>
    sql.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 day' WHERE token_hash = $1`, [
      hash(token),
    ]);

  it('deletes what can no longer be used, keeps the rest, and users notice nothing', async () => {
    const u = await register();
    // A live family refreshed twice: r1 and r2 spent, r3 current. r1 has also expired.
    const r1 = u.refresh;
    const r2 = (await refresh(r1)).body.refreshToken as string;
    const r3 = (await refresh(r2)).body.refreshToken as string;
    await expire(r1);
    const live = (await sessionOf(r3))!;
    // A logged-out session.
    const loggedOut = await login(u.username);
    const loggedOutSession = (await sessionOf(loggedOut))!;
    expect(
      (await request(auth.url, 'POST', '/auth/logout', { body: { refreshToken: loggedOut } })).status,
    ).toBe(204);
    // A family whose every token expired (spent one and current one).
    const old1 = await login(u.username);
    const old2 = (await refresh(old1)).body.refreshToken as string;
    const expiredSession = (await sessionOf(old2))!;
    await expire(old1);
    await expire(old2);
    // Many expired tokens of one more live session, more than several batches' worth.
    const many = await login(u.username);
    let chain = many;
    const spent: string[] = [];
    for (let i = 0; i < 8; i++) {
      spent.push(chain);
      chain = (await refresh(chain)).body.refreshToken as string;
    }
    for (const t of spent) await expire(t);
    const untouched = await login(u.username);

    const result = await auth.app.get(SessionCleanup).runOnce();
    expect(result).toEqual({ ran: true, tokens: 1 + 2 + 8, sessions: 1 + 1 });

    expect(await tokenExists(r1)).toBe(false);
    expect(await tokenExists(r2)).toBe(true); // spent, not expired: reuse detection needs it
    expect(await tokenExists(r3)).toBe(true);
    expect(await sessionExists(live)).toBe(true);
    expect(await sessionExists(loggedOutSession)).toBe(false);
    expect(await tokenExists(loggedOut)).toBe(false);
    expect(await sessionExists(expiredSession)).toBe(false);
    for (const t of spent) expect(await tokenExists(t)).toBe(false);
    expect(await tokenExists(chain)).toBe(true);
    expect(await tokenExists(untouched)).toBe(true);

    // Nothing changed for the user: the live families refresh...
    const r4 = await refresh(r3);
    expect(r4.status).toBe(200);
    expect((await refresh(chain)).status).toBe(200);
    expect((await refresh(untouched)).status).toBe(200);
    // ...the ended ones are refused as before, in the contract's shape...
    for (const t of [loggedOut, old2, r1]) {
      const res = await refresh(t);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    }
    // ...and a replayed spent token still revokes its family.
    expect((await refresh(r2)).status).toBe(401);
    expect((await refresh(r4.body.refreshToken)).status).toBe(401);

    // The next run removes that revoked family; a second run finds nothing.
    const again = await auth.app.get(SessionCleanup).runOnce();
    expect(again.sessions).toBeGreaterThanOrEqual(1);
    expect(await sessionExists(live)).toBe(false);
    expect(await auth.app.get(SessionCleanup).runOnce()).toEqual({ ran: true, tokens: 0, sessions: 0 });
  });

  it('two replicas cleaning at once delete each row once and both finish', async () => {
    const u = await register();
    const tokens: string[] = [u.refresh];
    for (let i = 0; i < 20; i++) tokens.push(await login(u.username));
    for (const t of tokens) await expire(t);
    const [a, b] = await Promise.all([
      auth.app.get(SessionCleanup).runOnce(),
      authB.app.get(SessionCleanup).runOnce(),
    ]);
    expect(a.tokens + b.tokens).toBe(tokens.length);
    expect(a.sessions + b.sessions).toBe(tokens.length);
    for (const t of tokens) expect(await tokenExists(t)).toBe(false);
  });
});
