import { createHash, randomBytes } from 'node:crypto';
import type { Me } from '@chat/contracts';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { closeSql, sql } from '../../../test/support/gateway';
import { startSmtp, type ReceivedMail, type TestSmtp } from '../../../test/support/smtp';

const PUBLIC_URL = 'https://chat.example';
const VERIFY_LINK = /https:\/\/chat\.example\/auth\/email\/verify\?token=([A-Za-z0-9_-]{43})/;

/** A mailbox address nobody else in the run uses. */
const mailbox = (prefix = 'u') => `${prefix}.${randomBytes(4).toString('hex')}@example.com`;
const hash = (token: string) => createHash('sha256').update(token).digest();

describe('email address and links (e2e, real SMTP)', () => {
  let smtp: TestSmtp;
  let auth: Running & { jwksUrl: string };

  beforeAll(async () => {
    smtp = await startSmtp();
    auth = await startAuth({ SMTP_URL: smtp.url, PUBLIC_URL, MAIL_FROM: 'Chat <chat@chat.example>' });
  });
  afterAll(async () => {
    await auth.close();
    await smtp.close();
    await closeSql();
  });

  const newUser = async () => {
    const r = await registerUser(auth.url, uniqueName('mail'));
    return { id: r.user.id, username: r.user.username, token: r.accessToken };
  };
  type U = Awaited<ReturnType<typeof newUser>>;
  const me = async (u: U) => (await request<Me>(auth.url, 'GET', '/auth/me', { token: u.token })).body;
  const patch = (u: U, body: unknown) => request<Me>(auth.url, 'PATCH', '/auth/me', { token: u.token, body });
  /** GETs an emailed link through the auth service (the front door routes /auth/ there), not following redirects. */
  const open = (link: string, method = 'GET', init: RequestInit = {}) =>
    fetch(link.replace(PUBLIC_URL, auth.url), { method, redirect: 'manual', ...init });
  const tokenOf = (mail: ReceivedMail) => VERIFY_LINK.exec(mail.parsed.text ?? '')![1];
  const linkOf = (mail: ReceivedMail) => VERIFY_LINK.exec(mail.parsed.text ?? '')![0];

  /** Sets the address and returns the verification email it caused. */
  const setAddress = async (u: U, email: string, expectedTo = email): Promise<ReceivedMail> => {
    const before = smtp.to(expectedTo).length;
    const res = await patch(u, { email });
    expect(res.status).toBe(200);
    return smtp.next(expectedTo, (m) => smtp.to(expectedTo).indexOf(m) >= before);
  };

  describe('GET /auth/me', () => {
    it('answers the caller with their email settings, and nothing else', async () => {
      const u = await newUser();
      const res = await request<Me>(auth.url, 'GET', '/auth/me', { token: u.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: u.id,
        username: u.username,
        // The run's first account is an admin.
        roles: expect.arrayContaining(['member']),
        createdAt: expect.any(String),
        bot: false,
        email: null,
        emailVerified: false,
        emailNotifications: true,
        totp: false,
        totpRequired: false,
      });
    });

    it('shows each caller only their own address', async () => {
      const [a, b] = [await newUser(), await newUser()];
      const address = mailbox('own');
      await setAddress(a, address);
      expect((await me(a)).email).toBe(address);
      expect(await me(b)).toMatchObject({ id: b.id, email: null });
    });

    it('answers 401 in the contract shape without a token', async () => {
      for (const method of ['GET', 'PATCH']) {
        const res = await request(auth.url, method, '/auth/me', {
          body: method === 'PATCH' ? {} : undefined,
        });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          statusCode: 401,
          code: 'UNAUTHORIZED',
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
    });
  });

  describe('verification', () => {
    it('mails a working link: following it verifies the address and lands on the settings page', async () => {
      const u = await newUser();
      const address = mailbox('alice');
      const res = await patch(u, { email: address });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ email: address, emailVerified: false, emailNotifications: true });

      const mail = await smtp.next(address);
      expect(mail.recipients).toEqual([address]);
      expect(mail.parsed.subject).toBe('Confirm your email address for Chat');
      expect(mail.parsed.from?.value).toEqual([{ name: 'Chat', address: 'chat@chat.example' }]);
      expect(mail.parsed.text).toContain(`Hi ${u.username},`);
      const link = linkOf(mail);
      expect(mail.parsed.html).toContain(`href="${link}"`);
      // Stored hashed: the database holds no working link.
      const rows = await sql(`SELECT token_hash FROM email_tokens WHERE user_id = $1`, [u.id]);
      expect(rows).toEqual([{ token_hash: hash(tokenOf(mail)) }]);

      const followed = await open(link);
      expect(followed.status).toBe(303);
      expect(followed.headers.get('location')).toBe(`${PUBLIC_URL}/#/settings?email=verified`);
      expect(await me(u)).toMatchObject({ email: address, emailVerified: true });

      // Spent: a second click (or a replay) is just invalid, and changes nothing.
      const again = await open(link);
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toBe(`${PUBLIC_URL}/#/settings?email=invalid`);
      expect(await me(u)).toMatchObject({ email: address, emailVerified: true });
    });

    it('lower-cases the domain and keeps the local part as typed', async () => {
      const u = await newUser();
      const local = `Bob.Smith+${randomBytes(3).toString('hex')}`;
      const mail = await setAddress(u, `${local}@Example.COM`, `${local}@example.com`);
      expect(mail.recipients).toEqual([`${local}@example.com`.toLowerCase()]);
      expect(mail.parsed.to).toMatchObject({ value: [{ address: `${local}@example.com` }] });
      expect((await me(u)).email).toBe(`${local}@example.com`);
    });

    it('treats the verified address saved again (any domain case) as a no-op: no email, still verified', async () => {
      const u = await newUser();
      const address = mailbox('same');
      await open(linkOf(await setAddress(u, address)));
      expect((await me(u)).emailVerified).toBe(true);
      for (const again of [address, address.replace('example.com', 'EXAMPLE.com')]) {
        const res = await patch(u, { email: again });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ email: address, emailVerified: true });
      }
      expect(await smtp.during(address, 500)).toEqual([]);
      expect(smtp.to(address)).toHaveLength(1);
    });

    it('a new address replaces the old one and kills its link; the new link works', async () => {
      const u = await newUser();
      const [first, second] = [mailbox('first'), mailbox('second')];
      const oldLink = linkOf(await setAddress(u, first));
      const newLink = linkOf(await setAddress(u, second));
      expect((await open(oldLink)).headers.get('location')).toBe(`${PUBLIC_URL}/#/settings?email=invalid`);
      expect(await me(u)).toMatchObject({ email: second, emailVerified: false });
      expect((await open(newLink)).headers.get('location')).toBe(`${PUBLIC_URL}/#/settings?email=verified`);
      expect(await me(u)).toMatchObject({ email: second, emailVerified: true });
    });

    it('changing a verified address makes the new one unverified until its link is opened', async () => {
      const u = await newUser();
      const [first, second] = [mailbox('v1'), mailbox('v2')];
      await open(linkOf(await setAddress(u, first)));
      expect((await me(u)).emailVerified).toBe(true);
      await setAddress(u, second);
      expect(await me(u)).toMatchObject({ email: second, emailVerified: false });
    });

    it('saving the same unverified address again sends a new link; only the newest works', async () => {
      const u = await newUser();
      const address = mailbox('resend');
      const oldLink = linkOf(await setAddress(u, address));
      const newLink = linkOf(await setAddress(u, address));
      expect(newLink).not.toBe(oldLink);
      expect(
        await sql(`SELECT 1 FROM email_tokens WHERE user_id = $1 AND purpose = 'verify'`, [u.id]),
      ).toHaveLength(1);
      expect((await open(oldLink)).headers.get('location')).toContain('email=invalid');
      expect((await open(newLink)).headers.get('location')).toContain('email=verified');
    });

    it('an expired link is invalid and verifies nothing', async () => {
      const u = await newUser();
      const address = mailbox('late');
      const mail = await setAddress(u, address);
      const [row] = await sql(`SELECT expires_at FROM email_tokens WHERE token_hash = $1`, [
        hash(tokenOf(mail)),
      ]);
      // 24 hours, as the email says.
      expect(new Date(row.expires_at).getTime() - Date.now()).toBeGreaterThan(23.9 * 3600_000);
      expect(new Date(row.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
      await sql(`UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
        hash(tokenOf(mail)),
      ]);
      expect((await open(linkOf(mail))).headers.get('location')).toBe(
        `${PUBLIC_URL}/#/settings?email=invalid`,
      );
      expect(await me(u)).toMatchObject({ email: address, emailVerified: false });
    });

    it('clearing the address (null or "") removes it and kills its pending link', async () => {
      for (const cleared of [null, '']) {
        const u = await newUser();
        const link = linkOf(await setAddress(u, mailbox('clear')));
        const res = await patch(u, { email: cleared });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ email: null, emailVerified: false });
        expect((await open(link)).headers.get('location')).toContain('email=invalid');
        expect(await me(u)).toMatchObject({ email: null, emailVerified: false });
      }
    });

    it.each([
      ['no token', ''],
      ['an empty token', '?token='],
      ['a short token', '?token=abc'],
      ['a well-formed unknown token', `?token=${randomBytes(32).toString('base64url')}`],
      ['a token of the wrong alphabet', `?token=${'%2B'.repeat(43)}`],
      ['a huge token', `?token=${'A'.repeat(8000)}`],
      ['two tokens', `?token=${randomBytes(32).toString('base64url')}&token=x`],
      ['a token with a NUL', '?token=%00%00'],
      ['an object token', '?token[a]=b'],
    ])('redirects %s to the invalid outcome, never an error', async (_label, query) => {
      const res = await fetch(`${auth.url}/auth/email/verify${query}`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${PUBLIC_URL}/#/settings?email=invalid`);
    });

    it('an unsubscribe link cannot verify an address', async () => {
      const u = await newUser();
      const address = mailbox('cross');
      await setAddress(u, address);
      const token = randomBytes(32).toString('base64url');
      await sql(
        `INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
         VALUES ($1, $2, 'unsubscribe', $3, now() + interval '1 day')`,
        [hash(token), u.id, address],
      );
      expect(
        (await open(`${PUBLIC_URL}/auth/email/verify?token=${token}`)).headers.get('location'),
      ).toContain('email=invalid');
      expect((await me(u)).emailVerified).toBe(false);
    });
  });

  describe('hostile PATCH /auth/me', () => {
    it.each([
      ['not an email', { email: 'not-an-email' }],
      ['300 characters', { email: `${'a'.repeat(288)}@example.com` }],
      ['a header injection (CRLF Bcc)', { email: 'a@b.co\r\nBcc: x@y.co' }],
      ['a header injection (LF)', { email: 'a@b.co\nSubject: hi' }],
      ['a list of addresses', { email: 'a@b.co, x@y.co' }],
      ['a display name', { email: 'Eve <eve@example.com>' }],
      ['a quoted local part', { email: '"a,b"@example.com' }],
      ['a number', { email: 12345 }],
      ['an object', { email: { address: 'a@b.co' } }],
      ['an unknown field', { emailVerified: true }],
      ['an unknown field next to a good one', { email: 'ok@example.com', roles: ['admin'] }],
      ['a non-boolean emailNotifications', { emailNotifications: 'yes' }],
      ['an array body', ['a@b.co']],
    ])('answers 400 VALIDATION for %s, and changes and sends nothing', async (_label, body) => {
      const u = await newUser();
      const res = await patch(u, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION', message: expect.any(String) });
      expect(await me(u)).toMatchObject({ email: null, emailVerified: false, emailNotifications: true });
      expect(smtp.received.filter((m) => /y\.co|b\.co|eve@/.test(m.recipients.join()))).toEqual([]);
      expect(await sql(`SELECT 1 FROM email_tokens WHERE user_id = $1`, [u.id])).toEqual([]);
    });

    it('the service still answers after the hostile input', async () => {
      const u = await newUser();
      expect((await patch(u, { email: 'a@b.co\r\nBcc: x@y.co' })).status).toBe(400);
      expect((await patch(u, { emailNotifications: false })).body).toMatchObject({
        emailNotifications: false,
      });
    });

    it(`rate-limits verification emails per user: the 6th in an hour is 429 RATE_LIMITED`, async () => {
      const u = await newUser();
      const sent: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const address = mailbox(`rl${i}`);
        await setAddress(u, address);
        sent.push(address);
      }
      const refused = mailbox('rl-refused');
      const res = await patch(u, { email: refused });
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({
        statusCode: 429,
        code: 'RATE_LIMITED',
        requestId: expect.any(String),
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await me(u)).email).toBe(sent[4]);
      expect(await smtp.during(refused, 300)).toEqual([]);
      // Other users have their own allowance; settings that send nothing are not limited.
      await setAddress(await newUser(), mailbox('other'));
      expect((await patch(u, { emailNotifications: false })).status).toBe(200);
    });
  });

  describe('emailNotifications', () => {
    it('turns digests off and on', async () => {
      const u = await newUser();
      expect((await patch(u, { emailNotifications: false })).body).toMatchObject({
        emailNotifications: false,
      });
      expect((await me(u)).emailNotifications).toBe(false);
      expect((await patch(u, { emailNotifications: true })).body).toMatchObject({ emailNotifications: true });
    });
  });

  describe('unsubscribe links', () => {
    /** What the gateway stores with each digest. */
    const unsubscribeLink = async (u: U, ttl = "interval '90 days'") => {
      const token = randomBytes(32).toString('base64url');
      await sql(
        `INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at)
         VALUES ($1, $2, 'unsubscribe', 'x@example.com', now() + ${ttl})`,
        [hash(token), u.id],
      );
      return `${PUBLIC_URL}/auth/email/unsubscribe?token=${token}`;
    };

    it('GET shows a confirmation form and changes nothing; its POST unsubscribes', async () => {
      const u = await newUser();
      const link = await unsubscribeLink(u);
      const page = await open(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)![1];
      expect((await me(u)).emailNotifications).toBe(true);

      const posted = await open(new URL(action.replace(/&amp;/g, '&'), link).toString(), 'POST', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(posted.status).toBe(200);
      expect(posted.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await posted.text()).toContain('You are unsubscribed');
      expect((await me(u)).emailNotifications).toBe(false);
    });

    it.each([
      ['application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click'],
      [
        'multipart/form-data; boundary=XyZ',
        '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n',
      ],
    ])('RFC 8058 one-click POST (%s) unsubscribes', async (contentType, body) => {
      const u = await newUser();
      const link = await unsubscribeLink(u);
      const res = await open(link, 'POST', { headers: { 'content-type': contentType }, body });
      expect(res.status).toBe(200);
      expect((await me(u)).emailNotifications).toBe(false);
      // Again (a second client, a second click): the same answer.
      expect((await open(link, 'POST', { headers: { 'content-type': contentType }, body })).status).toBe(200);
    });

    it('an expired, unknown, malformed or verification token shows the invalid page (404) and changes nothing', async () => {
      const u = await newUser();
      const expired = await unsubscribeLink(u, "interval '-1 second'");
      const address = mailbox('unsub-verify');
      const verifyToken = tokenOf(await setAddress(u, address));
      const links = [
        expired,
        `${PUBLIC_URL}/auth/email/unsubscribe?token=${randomBytes(32).toString('base64url')}`,
        `${PUBLIC_URL}/auth/email/unsubscribe?token=%3Cscript%3E`,
        `${PUBLIC_URL}/auth/email/unsubscribe`,
        `${PUBLIC_URL}/auth/email/unsubscribe?token=${verifyToken}`,
      ];
      for (const link of links) {
        for (const method of ['GET', 'POST']) {
          const res = await open(link, method);
          expect(res.status).toBe(404);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          const html = await res.text();
          expect(html).toContain('This link does not work');
          expect(html).not.toContain('<script>');
        }
      }
      expect((await me(u)).emailNotifications).toBe(true);
    });
  });

  describe('when the SMTP server refuses', () => {
    it('answers 503 UNAVAILABLE; saving the address again once it is back sends the link', async () => {
      const u = await newUser();
      const address = mailbox('down');
      smtp.failing = true;
      try {
        const res = await patch(u, { email: address });
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
      } finally {
        smtp.failing = false;
      }
      const mail = await setAddress(u, address);
      expect((await open(linkOf(mail))).headers.get('location')).toContain('email=verified');
    });
  });
});

describe('email address without SMTP_URL (e2e)', () => {
  let auth: Running & { jwksUrl: string };

  beforeAll(async () => {
    auth = await startAuth({ SMTP_URL: '', PUBLIC_URL });
  });
  afterAll(async () => {
    await auth.close();
    await closeSql();
  });

  it('stores the address unverified (nothing can verify it until email is configured)', async () => {
    const r = await registerUser(auth.url, uniqueName('nosmtp'));
    const address = mailbox('nosmtp');
    const res = await request<Me>(auth.url, 'PATCH', '/auth/me', {
      token: r.accessToken,
      body: { email: address },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: address, emailVerified: false });
  });
});
