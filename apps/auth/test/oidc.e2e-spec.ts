import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuthResult, User } from '@chat/contracts';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { closeSql, sql } from '../../../test/support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc';

const PUBLIC_URL = 'https://chat.example';
const CALLBACK = `${PUBLIC_URL}/auth/oidc/callback`;
const STALE = 'This sign-in attempt expired or was already used. Please try again.';

/**
 * A browser driven by hand: a cookie jar per origin, redirects followed one at a time. Requests to
 * PUBLIC_URL go to the auth service under test (the front door routes /auth/ there).
 */
class FakeBrowser {
  readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly authUrl: string) {}

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url.startsWith(PUBLIC_URL) ? url.replace(PUBLIC_URL, this.authUrl) : url);
    const cookies = [...(this.jar.get(target.origin) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(cookies ? { cookie: cookies } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    const jar = this.jar.get(target.origin) ?? new Map<string, string>();
    this.jar.set(target.origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || !value) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name);
  }
}

const location = (res: Response): string => {
  const to = res.headers.get('location');
  if (!to) throw new Error(`expected a redirect, got ${res.status}`);
  return to;
};

describe('OpenID Connect single sign-on (e2e, real provider)', () => {
  let idp: TestOidcProvider;
  let auth: Running;

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUris: [CALLBACK] });
    auth = await startAuth({
      PUBLIC_URL,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      OIDC_DISPLAY_NAME: 'Test IdP',
    });
  });
  afterAll(async () => {
    await auth?.close();
    await idp?.stop();
    await closeSql();
  });

  const browser = () => new FakeBrowser(auth.url);

  /** Starts a login; answers the provider's authorization URL. */
  async function start(b: FakeBrowser, returnTo?: string): Promise<string> {
    const qs = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
    const res = await b.go(`${auth.url}/auth/oidc/login${qs}`);
    expect(res.status).toBe(302);
    return location(res);
  }

  /** At the provider: follows it to its login form, signs in as `login`, answers the callback URL it sends back. */
  async function atProvider(b: FakeBrowser, authorizationUrl: string, login: string): Promise<string> {
    let url = authorizationUrl;
    let submitted = false;
    for (let hops = 0; hops < 10; hops += 1) {
      if (url.startsWith(CALLBACK)) return url;
      const res = await b.go(url);
      if (res.status >= 300 && res.status < 400) {
        url = new URL(location(res), url).toString();
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || !action || submitted)
        throw new Error(`unexpected page at the provider (${res.status}): ${html.slice(0, 300)}`);
      submitted = true;
      const post = await b.go(new URL(action.replace(/&amp;/g, '&'), url).toString(), {
        method: 'POST',
        form: { prompt: 'login', login, password: 'any password' },
      });
      url = new URL(location(post), url).toString();
    }
    throw new Error('too many redirects at the provider');
  }

  /** Back from the provider: answers where the auth service sends the browser (the web client). */
  async function callback(b: FakeBrowser, url: string): Promise<URL> {
    const res = await b.go(url);
    expect(res.status).toBe(302);
    return new URL(location(res));
  }

  /** The `#/sso?...` parameters of a redirect to the web client. */
  function sso(to: URL): URLSearchParams {
    expect(to.origin).toBe(PUBLIC_URL);
    expect(to.pathname).toBe('/');
    expect(to.hash.startsWith('#/sso?')).toBe(true);
    return new URLSearchParams(to.hash.slice('#/sso?'.length));
  }

  const exchange = (code: unknown) =>
    request<AuthResult>(auth.url, 'POST', '/auth/oidc/exchange', { body: { code } });

  /** The whole flow in a fresh browser: answers the hand-off code (or throws with the error shown). */
  async function signIn(
    login: string,
    returnTo?: string,
  ): Promise<{ code: string; returnTo: string | null }> {
    const b = browser();
    const back = sso(await callback(b, await atProvider(b, await start(b, returnTo), login)));
    if (!back.get('code')) throw new Error(`sign-in refused: ${back.get('error')}`);
    return { code: back.get('code')!, returnTo: back.get('returnTo') };
  }

  /** The flow through to tokens. */
  async function signInFully(login: string): Promise<AuthResult> {
    const res = await exchange((await signIn(login)).code);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The flow in a fresh browser, expected to end on the sign-in screen: answers the message shown. */
  async function refused(login: string): Promise<string> {
    const b = browser();
    const back = sso(await callback(b, await atProvider(b, await start(b), login)));
    expect(back.get('code')).toBeNull();
    return back.get('error')!;
  }

  const userRow = async (id: string) =>
    (
      await sql(
        `SELECT username, email, email_verified_at, password_hash, oidc_issuer, oidc_subject, last_seen_at
           FROM users WHERE id = $1`,
        [id],
      )
    )[0];
  const usersLinkedTo = async (sub: string) =>
    (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE oidc_subject = $1`, [sub]))[0].n;

  async function withCreation<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
    const [{ was }] = await sql(`SELECT oidc_create_accounts AS was FROM sign_in_settings`);
    await sql(`UPDATE sign_in_settings SET oidc_create_accounts = $1`, [on]);
    try {
      return await fn();
    } finally {
      await sql(`UPDATE sign_in_settings SET oidc_create_accounts = $1`, [was]);
    }
  }

  describe('GET /auth/oidc/login', () => {
    it('redirects to the provider with the code flow, PKCE S256, state and nonce, bound to the browser by a cookie', async () => {
      const b = browser();
      const url = new URL(await start(b));
      expect(url.origin + url.pathname).toBe(`${idp.issuer}/auth`);
      const p = url.searchParams;
      expect(p.get('response_type')).toBe('code');
      expect(p.get('client_id')).toBe(idp.clientId);
      expect(p.get('redirect_uri')).toBe(CALLBACK);
      expect(p.get('scope')).toBe('openid profile email');
      expect(p.get('code_challenge_method')).toBe('S256');
      expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(p.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);

      // A second login gets other secrets.
      const again = new URL(await start(browser())).searchParams;
      expect(again.get('state')).not.toBe(p.get('state'));
      expect(again.get('nonce')).not.toBe(p.get('nonce'));

      const res = await fetch(`${auth.url}/auth/oidc/login`, { redirect: 'manual' });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('chat_oidc_state='))!;
      const state = new URL(location(res)).searchParams.get('state');
      expect(cookie).toContain(`chat_oidc_state=${state};`);
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      expect(cookie).toMatch(/; Path=\/auth\/oidc(;|$)/);
      // PUBLIC_URL is https.
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; Max-Age=600/i);

      // Stored for whichever replica serves the callback, for ten minutes; the verifier never leaves.
      const [row] = await sql(`SELECT code_verifier, expires_at FROM oidc_logins WHERE state = $1`, [state]);
      expect(url.toString()).not.toContain(row.code_verifier);
      const ttl = new Date(row.expires_at).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(9 * 60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 2000);
    });
  });

  describe('linking by the provider’s sub', () => {
    it('creates and links an account on the first sign-in, and signs into it', async () => {
      const sub = uniqueName('sub');
      const name = uniqueName('ana');
      await idp.setAccount(sub, {
        preferred_username: name,
        email: `${name}@corp.test`,
        email_verified: true,
      });

      const result = await signInFully(sub);
      expect(result).toEqual({
        user: {
          id: expect.any(String),
          username: name,
          roles: expect.any(Array),
          createdAt: expect.any(String),
          bot: false,
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: expect.any(Number),
      });
      expect(result.user.roles).toContain('member');

      const row = await userRow(result.user.id);
      expect(row).toMatchObject({
        username: name,
        email: `${name}@corp.test`,
        password_hash: null,
        oidc_issuer: idp.issuer,
        oidc_subject: sub,
      });
      expect(row.email_verified_at).not.toBeNull();
      expect(row.last_seen_at).not.toBeNull();

      // A session like a password login's: /auth/me, refresh and logout work.
      const me = await request<User>(auth.url, 'GET', '/auth/me', { token: result.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: result.user.id, username: name });
      const refreshed = await request<AuthResult>(auth.url, 'POST', '/auth/refresh', {
        body: { refreshToken: result.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      const out = await request(auth.url, 'POST', '/auth/logout', {
        body: { refreshToken: refreshed.body.refreshToken },
      });
      expect(out.status).toBe(204);
      const after = await request(auth.url, 'POST', '/auth/refresh', {
        body: { refreshToken: refreshed.body.refreshToken },
      });
      expect(after.status).toBe(401);
    });

    it('signs the same person into the same account the next time, even with a new name at the provider', async () => {
      const sub = uniqueName('sub');
      const first = uniqueName('bo');
      await idp.setAccount(sub, { preferred_username: first, email_verified: false });
      const a = await signInFully(sub);
      await idp.setAccount(sub, { preferred_username: uniqueName('renamed') });
      const b = await signInFully(sub);
      expect(b.user.id).toBe(a.user.id);
      expect(b.user.username).toBe(first);
      expect(await usersLinkedTo(sub)).toBe(1);
    });

    it('does not link by username: a password account with the same name stays separate', async () => {
      const name = uniqueName('cy');
      const reg = await request<AuthResult>(auth.url, 'POST', '/auth/register', {
        body: { username: name, password: 'password-123' },
      });
      expect(reg.status).toBe(201);
      const sub = uniqueName('sub');
      await idp.setAccount(sub, { preferred_username: name });
      const sso1 = await signInFully(sub);
      expect(sso1.user.id).not.toBe(reg.body.user.id);
      expect(sso1.user.username).toBe(`${name}_2`);
      // The next one with that name gets the next suffix.
      const other = uniqueName('sub');
      await idp.setAccount(other, { preferred_username: name.toUpperCase() });
      expect((await signInFully(other)).user.username).toBe(`${name.toUpperCase()}_3`);
    });

    it('makes a username the contract accepts from any preferred_username, and keeps only verified addresses', async () => {
      const tag = randomBytes(3).toString('hex');
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ preferred_username: `José García ${tag}` }, new RegExp(`^Jose_Garcia_${tag}$`)],
        [
          { preferred_username: `${tag}<script>alert(1)</script>` },
          new RegExp(`^${tag}_script_alert_1_script$`),
        ],
        [{ preferred_username: `${'x'.repeat(60)}${tag}` }, /^x{28,32}(_\d+)?$/],
        [
          { preferred_username: '李', email: `li.${tag}@corp.test`, email_verified: false },
          new RegExp(`^li\\.${tag}$`),
        ],
        [{ preferred_username: '' }, /^user(_[0-9a-f]+|_\d+)?$/],
      ];
      for (const [claims, pattern] of cases) {
        const sub = uniqueName('sub');
        await idp.setAccount(sub, claims);
        const r = await signInFully(sub);
        expect(r.user.username).toMatch(pattern);
        expect(r.user.username).toMatch(/^[A-Za-z0-9_.-]{3,32}$/);
        // Only an address the provider verified is kept.
        expect((await userRow(r.user.id)).email).toBeNull();
      }
    });

    it('refuses an unknown identity when account creation is off, but still signs in linked ones', async () => {
      const linked = uniqueName('sub');
      const known = await signInFully(linked);
      const stranger = uniqueName('sub');
      await withCreation(false, async () => {
        expect(await refused(stranger)).toMatch(/No account is linked to this identity/);
        expect((await signInFully(linked)).user.id).toBe(known.user.id);
      });
      expect(await usersLinkedTo(stranger)).toBe(0);
    });

    it('refuses a banned or deactivated account, at the callback and at the exchange', async () => {
      const sub = uniqueName('sub');
      const { user } = await signInFully(sub);
      await sql(`UPDATE users SET banned_at = now() WHERE id = $1`, [user.id]);
      expect(await refused(sub)).toBe('This account cannot sign in.');
      await sql(`UPDATE users SET banned_at = NULL WHERE id = $1`, [user.id]);

      // Banned during the minute between the callback and the exchange.
      const { code } = await signIn(sub);
      await sql(`UPDATE users SET banned_at = now() WHERE id = $1`, [user.id]);
      const res = await exchange(code);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      await sql(`UPDATE users SET banned_at = NULL, deactivated_at = now() WHERE id = $1`, [user.id]);
      expect(await refused(sub)).toBe('This account cannot sign in.');
    });
  });

  describe('hostile callbacks', () => {
    /** A login up to the provider's answer: the callback URL and the browser holding its cookie. */
    async function pending(
      login = uniqueName('sub'),
    ): Promise<{ b: FakeBrowser; url: string; state: string }> {
      const b = browser();
      const url = await atProvider(b, await start(b), login);
      return { b, url, state: new URL(url).searchParams.get('state')! };
    }

    it('refuses a callback without state, or with a forged one, and the real login still completes', async () => {
      const { b, url, state } = await pending();
      const code = new URL(url).searchParams.get('code')!;
      const noState = sso(await callback(b, `${CALLBACK}?code=${code}`));
      expect(noState.get('error')).toBe(STALE);

      // A forged state, even with a matching cookie (set by the attacker's own page, say).
      const forged = randomBytes(32).toString('base64url');
      const f = new FakeBrowser(auth.url);
      f.jar.set(auth.url, new Map([['chat_oidc_state', forged]]));
      expect(sso(await callback(f, `${CALLBACK}?code=${code}&state=${forged}`)).get('error')).toBe(STALE);

      // None of it spent the real login: its browser finishes it.
      await sql(`SELECT 1 FROM oidc_logins WHERE state = $1`, [state]).then((rows) =>
        expect(rows).toHaveLength(1),
      );
      expect(sso(await callback(b, url)).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('refuses a callback in a browser that did not start that login (login CSRF)', async () => {
      const victim = await pending();
      const attacker = await pending();
      // The attacker's finished login, pushed into the victim's browser: its cookie holds the victim's state.
      const back = sso(await callback(victim.b, attacker.url));
      expect(back.get('code')).toBeNull();
      expect(back.get('error')).toBe(STALE);
      // And a browser with no state cookie at all.
      expect(sso(await callback(browser(), attacker.url)).get('error')).toBe(STALE);
      // The victim's own login is unharmed.
      expect(sso(await callback(victim.b, victim.url)).get('code')).toBeTruthy();
    });

    it('refuses a replayed callback (the login is spent) and clears the state cookie', async () => {
      const { b, url, state } = await pending();
      expect(sso(await callback(b, url)).get('code')).toBeTruthy();
      expect(b.cookie(auth.url, 'chat_oidc_state')).toBeUndefined();
      // Replayed with the cookie put back: the stored login is gone.
      b.jar.set(auth.url, new Map([['chat_oidc_state', state]]));
      expect(sso(await callback(b, url)).get('error')).toBe(STALE);
    });

    it('refuses an expired login', async () => {
      const { b, url, state } = await pending();
      await sql(`UPDATE oidc_logins SET expires_at = now() - interval '1 second' WHERE state = $1`, [state]);
      expect(sso(await callback(b, url)).get('error')).toBe(STALE);
    });

    it('refuses a code the provider did not issue, and a provider error, without echoing the provider', async () => {
      const { b, state } = await pending();
      const wrong = sso(
        await callback(
          b,
          `${CALLBACK}?code=${randomBytes(20).toString('hex')}&state=${state}&iss=${encodeURIComponent(idp.issuer)}`,
        ),
      );
      expect(wrong.get('error')).toBe(
        'The identity provider’s answer could not be verified. Please try again.',
      );

      const other = await pending();
      const denied = sso(
        await callback(
          other.b,
          `${CALLBACK}?error=access_denied&error_description=${encodeURIComponent('Call +1 555 0100 now')}&state=${other.state}`,
        ),
      );
      expect(denied.get('error')).toBe('Sign-in was cancelled or refused by the identity provider.');
    });

    it('carries a same-origin returnTo, and ignores any other', async () => {
      expect((await signIn(uniqueName('sub'), '/#/c/123e4567-e89b-12d3-a456-426614174000')).returnTo).toBe(
        '/#/c/123e4567-e89b-12d3-a456-426614174000',
      );
      for (const hostile of [
        'https://evil.example/#/x',
        '//evil.example/#/x',
        '/\\evil.example',
        '/#/x\r\nSet-Cookie: a=b',
        'javascript:alert(1)',
        '/settings',
        `/#/${'a'.repeat(600)}`,
      ]) {
        const { code, returnTo } = await signIn(uniqueName('sub'), hostile);
        expect(code).toBeTruthy();
        expect(returnTo).toBeNull();
      }
    });
  });

  describe('POST /auth/oidc/exchange', () => {
    it('is one-time: a replayed code is refused', async () => {
      const { code } = await signIn(uniqueName('sub'));
      expect((await exchange(code)).status).toBe(200);
      const again = await exchange(code);
      expect(again.status).toBe(401);
      expect(again.body).toMatchObject({
        code: 'UNAUTHORIZED',
        message: 'The sign-in code is invalid or expired',
      });
    });

    it('refuses an expired code, and stores only its hash', async () => {
      const { code } = await signIn(uniqueName('sub'));
      const hash = createHash('sha256').update(code).digest();
      const [row] = await sql(`SELECT expires_at FROM login_handoffs WHERE code_hash = $1`, [hash]);
      expect(new Date(row.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(60_000);
      expect(
        await sql(`SELECT 1 FROM login_handoffs WHERE code_hash::text LIKE $1`, [`%${code}%`]),
      ).toHaveLength(0);
      await sql(`UPDATE login_handoffs SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
        hash,
      ]);
      expect((await exchange(code)).status).toBe(401);
    });

    it('refuses a wrong code with 401 and a malformed body with 400', async () => {
      expect((await exchange(randomBytes(32).toString('base64url'))).status).toBe(401);
      expect((await exchange('')).status).toBe(400);
      expect((await exchange(42)).status).toBe(400);
      expect((await exchange('x'.repeat(10_000))).status).toBe(400);
      const none = await request(auth.url, 'POST', '/auth/oidc/exchange', { body: {} });
      expect(none.body).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
    });
  });

  it('limits how often one address may start a sign-in (each start stores a pending login)', async () => {
    const tight = await startAuth({
      PUBLIC_URL,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      // Ten times the failed-login allowance per address: 20 starts per window.
      LOGIN_MAX_FAILURES_PER_IP: '2',
      REDIS_PREFIX: `sso-${randomUUID()}`,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push((await fetch(`${tight.url}/auth/oidc/login`, { redirect: 'manual' })).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(302));
      const refused = await request(tight.url, 'GET', '/auth/oidc/login');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(statuses[20]).toBe(429);
    } finally {
      await tight.close();
    }
  });

  describe('without a reachable provider, or without OIDC', () => {
    let down: Running;
    let off: Running;
    beforeAll(async () => {
      down = await startAuth({
        PUBLIC_URL,
        // Nothing listens there (a port from the reserved range under 1024 that no test uses).
        OIDC_ISSUER: 'http://127.0.0.1:9',
        OIDC_CLIENT_ID: 'chat',
        OIDC_CLIENT_SECRET: 'secret',
      });
      off = await startAuth({ PUBLIC_URL });
    });
    afterAll(async () => {
      await down?.close();
      await off?.close();
    });

    it('sends the browser back to the sign-in screen when the provider is unreachable', async () => {
      const res = await fetch(`${down.url}/auth/oidc/login`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(sso(new URL(location(res))).get('error')).toBe(
        'The identity provider cannot be reached. Please try again later.',
      );
      expect(res.headers.getSetCookie()).toEqual([]);
      // The service still answers.
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);
    });

    it('answers 404 on every route when OIDC is not configured', async () => {
      for (const [method, path] of [
        ['GET', '/auth/oidc/login'],
        ['GET', '/auth/oidc/callback?code=x&state=y'],
        ['POST', '/auth/oidc/exchange'],
      ]) {
        const res = await request(off.url, method, path, method === 'POST' ? { body: { code: 'x' } } : {});
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      }
    });
  });
});
