import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { Client } from 'pg';
import type { AuditPage, BotCreated, Me, SignInSettings, TotpSetup } from '@chat/contracts';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';
import { refusal, startGateway } from '../../../test/support/gateway';

const PASSWORD = 'password-123';
const ADMIN_PASSWORD = 'admin-password-1';
const ISSUER = 'Team Chat Test';
const STEP_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The code an authenticator app shows `steps` time steps from now. */
const codeAt = (secret: string, steps = 0) =>
  generate({ secret, epoch: Math.floor((Date.now() + steps * STEP_MS) / 1000) });

/**
 * Waits out the last 3 s of a time step, so a code computed now still belongs to the same step
 * when the server checks it (otherwise "one step back" could become two).
 */
async function awayFromStepEdge(): Promise<void> {
  const into = Date.now() % STEP_MS;
  if (into > STEP_MS - 3000) await sleep(STEP_MS - into + 200);
}

interface Person {
  id: string;
  username: string;
  token: string;
}

interface TwoFactorPerson extends Person {
  secret: string;
  recoveryCodes: string[];
  /** The TOTP code that enabled it (of the step before the enabling one). */
  usedCode: string;
}

/**
 * TOTP two-factor (RFC 6238) against the real auth service, Postgres and Redis: set-up, enable,
 * the login's second step (missing, wrong, replayed, drifting, recovery codes, throttling), disable,
 * the sign-in settings' rules (password login off, TOTP required) and an admin's reset. A database
 * of its own: the sign-in settings are one row, and other suites must not see them change.
 */
describe('two-factor authentication (e2e)', () => {
  let db: { url: string; drop(): Promise<void> };
  let auth: Running & { jwksUrl: string };
  let gateway: Running;
  let pg: Client;
  let admin: Person;
  const adminName = uniqueName('admin');
  const redisPrefix = `chat-2fa-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await freshDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    auth = await startAuth({
      DATABASE_URL: db.url,
      REDIS_PREFIX: redisPrefix,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD,
      TOTP_ISSUER: ISSUER,
    });
    admin = await login(adminName, ADMIN_PASSWORD);
    gateway = await startGateway(auth, { DATABASE_URL: db.url, REDIS_PREFIX: redisPrefix });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await auth?.close();
    await pg?.end();
    await db?.drop();
  });

  const call = <T = any>(method: string, path: string, token?: string, body?: unknown) =>
    request<T>(auth.url, method, path, { token, body });
  const loginRes = (username: string, password: string, code?: unknown) =>
    call('POST', '/auth/login', undefined, {
      username,
      password,
      ...(code === undefined ? {} : { code }),
    });

  async function login(username: string, password = PASSWORD, code?: string): Promise<Person> {
    const res = await loginRes(username, password, code);
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.user.id, username, token: res.body.accessToken };
  }

  async function member(): Promise<Person> {
    const r = await registerUser(auth.url, uniqueName('tf'), PASSWORD);
    return { id: r.user.id, username: r.user.username, token: r.accessToken };
  }

  async function setup(p: Person): Promise<TotpSetup> {
    const res = await call<TotpSetup>('POST', '/auth/2fa/setup', p.token);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** A member with two-factor enabled by a code of the step before this one. */
  async function enabledMember(): Promise<TwoFactorPerson> {
    const p = await member();
    const { secret, recoveryCodes } = await setup(p);
    await awayFromStepEdge();
    const usedCode = await codeAt(secret, -1);
    const res = await call('POST', '/auth/2fa/enable', p.token, { code: usedCode });
    expect(res.status).toBe(204);
    return { ...p, secret, recoveryCodes, usedCode };
  }

  const me = async (p: Person) => (await call<Me>('GET', '/auth/me', p.token)).body;

  /** An admin with two-factor on: the one who may require it of everyone. */
  let keeper: TwoFactorPerson | undefined;
  async function setSettings(patch: Partial<SignInSettings>): Promise<void> {
    if (!keeper) {
      keeper = await enabledMember();
      const promoted = await call('PATCH', `/auth/users/${keeper.id}/roles`, admin.token, {
        roles: ['admin', 'member'],
      });
      expect(promoted.status).toBe(200);
    }
    const res = await call('PUT', '/auth/settings/sign-in', keeper.token, patch);
    expect(res.status).toBe(200);
  }

  describe('set-up and enable', () => {
    it('gives a secret, its otpauth URL and ten recovery codes, stored only as hashes, active only after enable', async () => {
      const p = await member();
      const s = await setup(p);
      expect(Object.keys(s).sort()).toEqual(['otpauthUrl', 'recoveryCodes', 'secret']);
      expect(s.secret).toMatch(/^[A-Z2-7]{32}$/);
      const url = new URL(s.otpauthUrl);
      expect(url.protocol).toBe('otpauth:');
      expect(url.host).toBe('totp');
      expect(decodeURIComponent(url.pathname)).toBe(`/${ISSUER}:${p.username}`);
      expect(url.searchParams.get('secret')).toBe(s.secret);
      expect(url.searchParams.get('issuer')).toBe(ISSUER);
      expect(s.recoveryCodes).toHaveLength(10);
      expect(new Set(s.recoveryCodes).size).toBe(10);

      const stored = await pg.query<{ code_hash: Buffer }>(
        'SELECT code_hash FROM totp_recovery_codes WHERE user_id = $1',
        [p.id],
      );
      expect(stored.rows).toHaveLength(10);
      const storedText = stored.rows.map((r) => r.code_hash.toString('latin1')).join(' ');
      for (const c of s.recoveryCodes) {
        expect(storedText).not.toContain(c);
        expect(storedText).not.toContain(c.replace(/-/g, ''));
      }

      // Pending: the login still needs no code, a recovery code opens nothing, Me says off.
      expect((await loginRes(p.username, PASSWORD)).status).toBe(200);
      const withRecovery = await loginRes(p.username, PASSWORD, s.recoveryCodes[0]);
      expect(withRecovery.status).toBe(200);
      expect((await me(p)).totp).toBe(false);
      expect((await call('POST', '/auth/2fa/disable', p.token, { code: s.recoveryCodes[0] })).status).toBe(
        409,
      );
    });

    it('replaces a pending set-up when called again: only the new secret enables', async () => {
      const p = await member();
      const first = await setup(p);
      const second = await setup(p);
      expect(second.secret).not.toBe(first.secret);
      await awayFromStepEdge();
      const old = await call('POST', '/auth/2fa/enable', p.token, { code: await codeAt(first.secret) });
      expect(old.status).toBe(400);
      expect(old.body).toMatchObject({ code: 'VALIDATION', message: 'The code is wrong' });
      const res = await call('POST', '/auth/2fa/enable', p.token, { code: await codeAt(second.secret) });
      expect(res.status).toBe(204);
      expect(await me(p)).toMatchObject({ totp: true, totpRequired: false });
      const stored = await pg.query('SELECT 1 FROM totp_recovery_codes WHERE user_id = $1', [p.id]);
      expect(stored.rowCount).toBe(10);
    });

    it('refuses a wrong code with 400, enable without a set-up and set-up while enabled with 409', async () => {
      const p = await member();
      const noSetup = await call('POST', '/auth/2fa/enable', p.token, { code: '123456' });
      expect(noSetup.status).toBe(409);
      expect(noSetup.body.code).toBe('CONFLICT');

      const { secret } = await setup(p);
      const correct = await codeAt(secret);
      const wrong = correct === '000000' ? '111111' : '000000';
      const res = await call('POST', '/auth/2fa/enable', p.token, { code: wrong });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION', message: 'The code is wrong' });
      expect((await me(p)).totp).toBe(false);

      const e = await enabledMember();
      const again = await call('POST', '/auth/2fa/setup', e.token);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CONFLICT');
      const reEnable = await call('POST', '/auth/2fa/enable', e.token, { code: await codeAt(e.secret, 1) });
      expect(reEnable.status).toBe(409);
    });

    it('throttles wrong codes at enable like failed logins (429 after 5)', async () => {
      const p = await member();
      await setup(p);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await call('POST', '/auth/2fa/enable', p.token, { code: 'aaaa-bbbb-cccc' })).status);
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
      const last = await call('POST', '/auth/2fa/enable', p.token, { code: '123456' });
      expect(last.status).toBe(429);
      expect(last.body.code).toBe('RATE_LIMITED');
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('refuses bots (403)', async () => {
      const bot = await call<BotCreated>('POST', '/auth/bots', admin.token, { username: uniqueName('bot') });
      expect(bot.status).toBe(201);
      const res = await call('POST', '/auth/2fa/setup', bot.body.token);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
      expect((await call('POST', '/auth/2fa/enable', bot.body.token, { code: '123456' })).status).toBe(403);
    });
  });

  describe('login with two-factor', () => {
    it('asks for the code only after the right password, and lets the right code in', async () => {
      const p = await enabledMember();
      const missing = await loginRes(p.username, PASSWORD);
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: 'A two-factor code is required',
      });

      // Without the password, nothing says the account has two-factor.
      const wrongPassword = await loginRes(p.username, 'wrong-password', await codeAt(p.secret));
      const unknown = await loginRes(uniqueName('nobody'), PASSWORD);
      for (const res of [wrongPassword, unknown]) {
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Invalid username or password');
      }
      const noCodeWrongPassword = await loginRes(p.username, 'wrong-password');
      expect(noCodeWrongPassword.body.message).toBe('Invalid username or password');

      await awayFromStepEdge();
      const code = await codeAt(p.secret);
      const wrongCode = await loginRes(p.username, PASSWORD, code === '000000' ? '111111' : '000000');
      expect(wrongCode.status).toBe(401);
      expect(wrongCode.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'The two-factor code is wrong' });

      const ok = await loginRes(p.username, PASSWORD, code);
      expect(ok.status).toBe(200);
      expect(ok.body.user.id).toBe(p.id);
      const meRes = await call<Me>('GET', '/auth/me', ok.body.accessToken);
      expect(meRes.body).toMatchObject({ id: p.id, totp: true, totpRequired: false });
    });

    it('accepts a code once: a replay, an older step and the code that enabled are refused', async () => {
      const p = await enabledMember();
      // The code that enabled two-factor is spent. Tried at once, in the step it was used in
      // (enabledMember left at least 3 s of it), so it is still inside the accepted window.
      const spent = await loginRes(p.username, PASSWORD, p.usedCode);
      expect(spent.status).toBe(401);
      expect(spent.body.message).toBe('The two-factor code is wrong');

      const code = await codeAt(p.secret);
      expect((await loginRes(p.username, PASSWORD, code)).status).toBe(200);
      const replay = await loginRes(p.username, PASSWORD, code);
      expect(replay.status).toBe(401);
      expect(replay.body.message).toBe('The two-factor code is wrong');
    });

    it('allows one step of clock drift either way, not two', async () => {
      const p = await enabledMember(); // enabled by the code of the step before: one step back works
      await awayFromStepEdge();
      const twoAhead = await loginRes(p.username, PASSWORD, await codeAt(p.secret, 2));
      expect(twoAhead.status).toBe(401);
      expect((await loginRes(p.username, PASSWORD, await codeAt(p.secret, 1))).status).toBe(200);

      const q = await enabledMember();
      await awayFromStepEdge();
      const twoBack = await loginRes(q.username, PASSWORD, await codeAt(q.secret, -2));
      expect(twoBack.status).toBe(401);
    });

    it('takes each recovery code once, typed in any case with spaces', async () => {
      const p = await enabledMember();
      const typed = p.recoveryCodes[3].toUpperCase().replace(/-/g, ' ');
      const first = await loginRes(p.username, PASSWORD, typed);
      expect(first.status).toBe(200);
      const again = await loginRes(p.username, PASSWORD, p.recoveryCodes[3]);
      expect(again.status).toBe(401);
      expect(again.body.message).toBe('The two-factor code is wrong');
      expect((await loginRes(p.username, PASSWORD, p.recoveryCodes[4])).status).toBe(200);
      const used = await pg.query(
        'SELECT 1 FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL',
        [p.id],
      );
      expect(used.rowCount).toBe(2);
    });

    it('counts wrong codes as failed logins: 429 after 5, even with the right code, until it passes', async () => {
      const p = await enabledMember();
      const badCodes = async () => {
        const text = await (await fetch(`${auth.url}/metrics`)).text();
        return Number(
          /^auth_login_failures_total\{reason="bad_code",service="auth"\} (\d+)/m.exec(text)?.[1] ?? NaN,
        );
      };
      const before = await badCodes();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await loginRes(p.username, PASSWORD, 'aaaa-bbbb-cccc')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      // The operator's brute-force alert sees them (auth_login_failures_total, reason bad_code).
      expect((await badCodes()) - before).toBe(5);
      await awayFromStepEdge();
      const blocked = await loginRes(p.username, PASSWORD, await codeAt(p.secret));
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('does not count the prompt for the code (right password, no code) as a failure', async () => {
      const p = await enabledMember();
      for (let i = 0; i < 8; i++) {
        const res = await loginRes(p.username, PASSWORD);
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('A two-factor code is required');
      }
      await awayFromStepEdge();
      expect((await loginRes(p.username, PASSWORD, await codeAt(p.secret))).status).toBe(200);
    });

    it('throttles wrong codes per address too', async () => {
      const strict = await startAuth({
        DATABASE_URL: db.url,
        REDIS_PREFIX: `${redisPrefix}-ip`,
        LOGIN_MAX_FAILURES_PER_IP: '3',
        LOGIN_MAX_FAILURES_PER_USER: '100',
      });
      try {
        const people = [await enabledMember(), await enabledMember(), await enabledMember()];
        for (const p of people) {
          const res = await request(strict.url, 'POST', '/auth/login', {
            body: { username: p.username, password: PASSWORD, code: 'aaaa-bbbb-cccc' },
          });
          expect(res.status).toBe(401);
        }
        const fourth = await enabledMember();
        await awayFromStepEdge();
        const res = await request(strict.url, 'POST', '/auth/login', {
          body: { username: fourth.username, password: PASSWORD, code: await codeAt(fourth.secret) },
        });
        expect(res.status).toBe(429);
      } finally {
        await strict.close();
      }
    });
  });

  describe('disable', () => {
    it('turns off with an unused recovery code: logins need no code again, the codes are gone', async () => {
      const p = await enabledMember();
      const wrong = await call('POST', '/auth/2fa/disable', p.token, { code: 'aaaa-bbbb-cccc' });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ code: 'VALIDATION', message: 'The code is wrong' });
      expect((await call('POST', '/auth/2fa/disable', p.token, { code: p.recoveryCodes[0] })).status).toBe(
        204,
      );
      expect((await me(p)).totp).toBe(false);
      expect((await loginRes(p.username, PASSWORD)).status).toBe(200);
      const stored = await pg.query(
        'SELECT totp_secret, (SELECT count(*) FROM totp_recovery_codes WHERE user_id = $1)::int AS codes FROM users WHERE id = $1',
        [p.id],
      );
      expect(stored.rows[0]).toEqual({ totp_secret: null, codes: 0 });
      const again = await call('POST', '/auth/2fa/disable', p.token, { code: p.recoveryCodes[1] });
      expect(again.status).toBe(409);
    });

    it('turns off with a current TOTP code, but not with the one already used', async () => {
      const p = await enabledMember();
      // At once, in the step it was used in (enabledMember left at least 3 s of it): still inside
      // the accepted window, so only its having been used refuses it. (Waiting for a step edge
      // here could cross into the next step, where "one step back" is a code never used.)
      const used = await call('POST', '/auth/2fa/disable', p.token, { code: p.usedCode });
      expect(used.status).toBe(400);
      expect(
        (await call('POST', '/auth/2fa/disable', p.token, { code: await codeAt(p.secret) })).status,
      ).toBe(204);
      expect((await me(p)).totp).toBe(false);
    });
  });

  describe('sign-in settings', () => {
    it('requireTotp: a member without two-factor still signs in and is told to set it up; disable is refused', async () => {
      const without = await member();
      const withIt = await enabledMember();
      // An admin without two-factor cannot require it of everyone (it would lock them out first).
      const premature = await call('PUT', '/auth/settings/sign-in', admin.token, { requireTotp: true });
      expect(premature.status).toBe(409);
      expect(premature.body).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/your own account/),
      });
      await setSettings({ requireTotp: true });
      try {
        const signedIn = await login(without.username);
        expect(await me(signedIn)).toMatchObject({ totp: false, totpRequired: true });
        expect(await me(withIt)).toMatchObject({ totp: true, totpRequired: true });
        const bot = await call<BotCreated>('POST', '/auth/bots', keeper!.token, {
          username: uniqueName('bot'),
        });
        expect(await me({ ...bot.body.user, token: bot.body.token })).toMatchObject({ totpRequired: false });
        const refused = await call('POST', '/auth/2fa/disable', withIt.token, {
          code: withIt.recoveryCodes[0],
        });
        expect(refused.status).toBe(403);
        expect(refused.body.code).toBe('FORBIDDEN');
        // The recovery code was not spent by the refusal.
        expect((await loginRes(withIt.username, PASSWORD, withIt.recoveryCodes[0])).status).toBe(200);
        // Until it is set up, the account reaches only itself and the set-up, on every service.
        const blocked = await call('PATCH', '/auth/me', signedIn.token, { emailNotifications: false });
        expect(blocked.status).toBe(403);
        expect(blocked.body).toMatchObject({
          code: 'FORBIDDEN',
          message: expect.stringMatching(/two-factor/i),
        });
        // The gateway (REST and socket handshake) refuses it too, naming the set-up.
        const channels = await request(gateway.url, 'GET', '/channels', { token: signedIn.token });
        expect(channels.status).toBe(403);
        expect(channels.body.message).toMatch(/two-factor/i);
        expect((await refusal(gateway.url, signedIn.token)).message).toBe('FORBIDDEN');
        const adminWithout = await call('GET', '/auth/audit', admin.token);
        expect(adminWithout.status).toBe(403);
        expect((await call('GET', '/auth/audit', keeper!.token)).status).toBe(200);
        // The required set-up works as usual.
        const { secret } = await setup(signedIn);
        await awayFromStepEdge();
        const enabled = await call('POST', '/auth/2fa/enable', signedIn.token, {
          code: await codeAt(secret),
        });
        expect(enabled.status).toBe(204);
        expect(await me(signedIn)).toMatchObject({ totp: true, totpRequired: true });
        // Open at once on auth; on the gateway once its status cache (3 s) has run out.
        expect((await call('PATCH', '/auth/me', signedIn.token, { emailNotifications: false })).status).toBe(
          200,
        );
        await sleep(3100);
        expect((await request(gateway.url, 'GET', '/channels', { token: signedIn.token })).status).toBe(200);
      } finally {
        await setSettings({ requireTotp: false });
      }
      expect(await me(without)).toMatchObject({ totpRequired: false });
    });

    it('passwordLogin off: members and registrations get 403, admins still sign in, wrong passwords stay 401', async () => {
      const m = await member();
      await setSettings({ passwordLogin: false });
      try {
        const res = await loginRes(m.username, PASSWORD);
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({
          code: 'FORBIDDEN',
          message: 'Password sign-in is turned off: use single sign-on',
        });
        const wrong = await loginRes(m.username, 'wrong-password');
        expect(wrong.status).toBe(401);
        expect(wrong.body.message).toBe('Invalid username or password');

        const reg = await call('POST', '/auth/register', undefined, {
          username: uniqueName('late'),
          password: PASSWORD,
        });
        expect(reg.status).toBe(403);
        expect(reg.body.message).toBe('Password sign-in is turned off: use single sign-on');

        const adminLogin = await loginRes(adminName, ADMIN_PASSWORD);
        expect(adminLogin.status).toBe(200);
        expect(adminLogin.body.user.roles).toContain('admin');
      } finally {
        await setSettings({ passwordLogin: true });
      }
      expect((await loginRes(m.username, PASSWORD)).status).toBe(200);
    });
  });

  describe('admin reset', () => {
    it('clears a lost device for an admin only, audited against the user', async () => {
      const p = await enabledMember();
      const other = await member();
      const byMember = await call('DELETE', `/auth/users/${p.id}/2fa`, other.token);
      expect(byMember.status).toBe(403);
      expect((await loginRes(p.username, PASSWORD)).status).toBe(401);

      const res = await call('DELETE', `/auth/users/${p.id}/2fa`, admin.token);
      expect(res.status).toBe(204);
      expect((await loginRes(p.username, PASSWORD)).status).toBe(200);
      expect((await me(p)).totp).toBe(false);
      const codes = await pg.query('SELECT 1 FROM totp_recovery_codes WHERE user_id = $1', [p.id]);
      expect(codes.rowCount).toBe(0);

      const audit = await call<AuditPage>(
        'GET',
        `/auth/audit?action=user.totp_reset&targetId=${p.id}`,
        admin.token,
      );
      expect(audit.status).toBe(200);
      expect(audit.body.events).toHaveLength(1);
      expect(audit.body.events[0]).toMatchObject({
        action: 'user.totp_reset',
        actor: { id: admin.id, username: adminName },
        target: { type: 'user', id: p.id, name: p.username },
      });

      const unknown = await call(
        'DELETE',
        `/auth/users/00000000-0000-4000-8000-000000000000/2fa`,
        admin.token,
      );
      expect(unknown.status).toBe(404);
    });
  });

  describe('hostile and unauthenticated calls', () => {
    it('answers 401 without a token', async () => {
      for (const path of ['/auth/2fa/setup', '/auth/2fa/enable', '/auth/2fa/disable']) {
        const res = await call('POST', path, undefined, { code: '123456' });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      expect((await call('DELETE', `/auth/users/${admin.id}/2fa`)).status).toBe(401);
    });

    it.each([
      ['a numeric code', { code: 123456 }],
      ['a 50-character code', { code: '1'.repeat(50) }],
      ['an extra field', { code: '123456', secret: 'AAAA' }],
      ['no code', {}],
      ['an array code', { code: ['123456'] }],
      ['an object code', { code: { $ne: null } }],
      ['a code with symbols', { code: "1' OR 1=1--" }],
    ])('answers 400 VALIDATION for %s at enable, disable and login', async (_label, body) => {
      const p = await member();
      await setup(p);
      for (const path of ['/auth/2fa/enable', '/auth/2fa/disable']) {
        const res = await call('POST', path, p.token, body);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION');
      }
      if ('code' in body) {
        const res = await call('POST', '/auth/login', undefined, {
          username: p.username,
          password: PASSWORD,
          ...body,
        });
        expect(res.status).toBe(400);
      }
      // Still answering.
      expect((await loginRes(p.username, PASSWORD)).status).toBe(200);
    });
  });
});
