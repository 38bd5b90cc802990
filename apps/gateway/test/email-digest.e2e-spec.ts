import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Me, NotificationKind } from '@chat/contracts';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase, suitePool } from '../../../test/support/database';
import { describeWithRedis } from '../../../test/support/env';
import { api, connect, newUser, sleep, startGateway, type TestUser } from '../../../test/support/gateway';
import { startSmtp, type TestSmtp } from '../../../test/support/smtp';

const PUBLIC_URL = 'https://chat.example';
/** The digest window of these suites: EMAIL_NOTIFY_AFTER=1s. */
const WINDOW_MS = 1000;
/** Long enough for several digest rounds (every ~250 ms) past a window. */
const QUIET_MS = 2.5 * WINDOW_MS;
const UNSUBSCRIBE_LINK = /https:\/\/chat\.example\/auth\/email\/unsubscribe\?token=[A-Za-z0-9_-]{43}/;

const mailbox = (prefix: string) => `${prefix}.${randomBytes(4).toString('hex')}@example.com`;

/**
 * A database of the suite's own: the digest workers act on every user of their database, so on the
 * run's shared one they would mail other suites' users and retire their notifications.
 */
function ownDatabase() {
  const state: { fresh?: { url: string; drop(): Promise<void> }; pool?: Pool } = {};
  return {
    async open(): Promise<string> {
      state.fresh = await freshDatabase();
      state.pool = suitePool(state.fresh.url);
      return state.fresh.url;
    },
    async sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
      return (await state.pool!.query(text, params)).rows as T[];
    },
    async close(): Promise<void> {
      await state.pool?.end();
      await state.fresh?.drop();
    },
  };
}

interface Person extends TestUser {
  email: string;
}

interface Posted {
  id: string;
  channelId: string;
  seq: number;
  body: string;
}

/**
 * The away digest (issue #17) on two gateway replicas sharing Postgres and Redis, against a real
 * SMTP server whose messages are parsed. The notifications rows are written with SQL, as the
 * notifications context writes them in production, and made older than the window.
 */
describeWithRedis('away digest emails (two replicas, real SMTP)', () => {
  let smtp: TestSmtp;
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  let alice: TestUser;

  const db = ownDatabase();
  const sql = db.sql;

  beforeAll(async () => {
    const DATABASE_URL = await db.open();
    smtp = await startSmtp();
    auth = await startAuth({ DATABASE_URL, SMTP_URL: smtp.url, PUBLIC_URL });
    const env = {
      DATABASE_URL,
      SMTP_URL: smtp.url,
      PUBLIC_URL,
      MAIL_FROM: 'Chat <chat@chat.example>',
      EMAIL_NOTIFY_AFTER: '1s',
      PRESENCE_OFFLINE_GRACE_MS: '100',
    };
    [a, b] = await Promise.all([startGateway(auth, env), startGateway(auth, env)]);
    alice = await newUser(auth.url, 'alice');
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await auth?.close();
    await smtp?.close();
    await db.close();
  });

  /** A user with a verified address (set directly: the verification flow has its own suite). */
  const person = async (prefix: string, opts: { verified?: boolean } = {}): Promise<Person> => {
    const u = await newUser(auth.url, prefix);
    const email = mailbox(prefix);
    await sql(`UPDATE users SET email = $2, email_verified_at = CASE WHEN $3 THEN now() END WHERE id = $1`, [
      u.id,
      email,
      opts.verified ?? true,
    ]);
    return { ...u, email };
  };
  /** A public channel of alice's that `members` joined. */
  const room = async (...members: TestUser[]): Promise<string> => {
    const res = await api(a.url, alice)('POST', '/channels', { name: uniqueName('room'), kind: 'public' });
    expect(res.status).toBe(201);
    for (const m of members)
      expect((await api(b.url, m)('POST', `/channels/${res.body.id}/join`)).status).toBeLessThan(300);
    return res.body.id;
  };
  const post = async (channelId: string, body: string, extra: object = {}): Promise<Posted> => {
    const res = await api(a.url, alice)('POST', `/channels/${channelId}/messages`, { body, ...extra });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** The row the notifications context writes for `user` about `m`, created `ageMs` ago. */
  const notify = async (
    user: TestUser,
    m: Posted,
    opts: { kind?: NotificationKind; ageMs?: number } = {},
  ) => {
    await sql(
      `INSERT INTO notifications (user_id, channel_id, message_id, seq, kind, title, body, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() - $8::int * interval '1 millisecond')
       ON CONFLICT (user_id, message_id) DO UPDATE SET created_at = EXCLUDED.created_at, emailed_at = NULL`,
      [
        user.id,
        m.channelId,
        m.id,
        m.seq,
        opts.kind ?? 'mention',
        `${alice.username} in #room`,
        m.body,
        opts.ageMs ?? 2 * WINDOW_MS,
      ],
    );
  };
  const pendingOf = async (user: TestUser) =>
    (await sql(`SELECT 1 FROM notifications WHERE user_id = $1 AND emailed_at IS NULL`, [user.id])).length;
  /** Waits until the user has `n` pending notifications (a digest is recorded just after its send). */
  const pendingBecomes = async (user: TestUser, n: number) => {
    const until = Date.now() + 5000;
    while ((await pendingOf(user)) !== n && Date.now() < until) await sleep(50);
    return pendingOf(user);
  };
  const permalink = (m: Posted) => `${PUBLIC_URL}/#/c/${m.channelId}/m/${m.seq}`;

  it('sends one email with every unread notification: text and HTML, escaped, permalinks, unsubscribe; never twice', async () => {
    // The real flow: the address is set and verified through the emailed link first.
    const bob = await newUser(auth.url, 'bob');
    const email = mailbox('bob');
    expect((await request(auth.url, 'PATCH', '/auth/me', { token: bob.token, body: { email } })).status).toBe(
      200,
    );
    const verification = await smtp.next(email);
    const verifyLink = /https:\/\/chat\.example\/auth\/email\/verify\?token=\S+/.exec(
      verification.parsed.text!,
    )![0];
    expect((await fetch(verifyLink.replace(PUBLIC_URL, auth.url), { redirect: 'manual' })).status).toBe(303);

    const id = await room(bob);
    const m1 = await post(id, 'look at <script>alert(1)</script> & "this"');
    const m2 = await post(id, 'second line\r\nSubject: injected\r\n\r\n<b>bold</b>');
    await notify(bob, m1);
    await notify(bob, m2);

    const mail = await smtp.next(email, (m) => m !== verification);
    expect(mail.recipients).toEqual([email]);
    expect(mail.parsed.subject).toBe('2 new notifications in Chat');
    expect(mail.parsed.from?.value).toEqual([{ name: 'Chat', address: 'chat@chat.example' }]);
    expect(mail.header('subject')).toBe('2 new notifications in Chat');
    expect(mail.header('bcc')).toBeUndefined();

    // Text: both items in order, each with its permalink; the CRLFs in a body did not shape the email.
    const text = mail.parsed.text!;
    expect(text).toContain(`Hi ${bob.username},`);
    expect(text).toContain('look at <script>alert(1)</script> & "this"');
    expect(text).toContain('second line Subject: injected <b>bold</b>');
    expect(text.indexOf(permalink(m1))).toBeGreaterThan(-1);
    expect(text.indexOf(permalink(m2))).toBeGreaterThan(text.indexOf(permalink(m1)));

    // HTML: the bodies escaped, the links clickable.
    const html = mail.parsed.html as string;
    expect(html).toContain('look at &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;this&quot;');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold');
    expect(html).toContain(`href="${permalink(m1)}"`);
    expect(html).toContain(`href="${permalink(m2)}"`);

    // Unsubscribe: in the body of both parts and in the headers (RFC 2369, RFC 8058).
    const unsubscribe = UNSUBSCRIBE_LINK.exec(text)![0];
    expect(html).toContain(`href="${unsubscribe}"`);
    expect(mail.header('list-unsubscribe')).toBe(`<${unsubscribe}>`);
    expect(mail.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    // Recorded: nothing pending, the window started; and nothing more past a second window.
    expect(await pendingBecomes(bob, 0)).toBe(0);
    expect(
      (await sql(`SELECT last_digest_at FROM users WHERE id = $1`, [bob.id]))[0].last_digest_at,
    ).not.toBeNull();
    expect(await smtp.during(email, QUIET_MS)).toEqual([]);

    // A later notification gets its own digest, without the earlier ones.
    const m3 = await post(id, 'third');
    await notify(bob, m3);
    const later = await smtp.next(email, (m) => m !== verification && m !== mail);
    expect(later.parsed.subject).toBe('1 new notification in Chat');
    expect(later.parsed.text).toContain(permalink(m3));
    expect(later.parsed.text).not.toContain(permalink(m1));
    expect(later.parsed.text).not.toContain(permalink(m2));

    // The one-click unsubscribe (what a mail client's button sends) turns digests off.
    const oneClick = await fetch(
      mail.header('list-unsubscribe')!.slice(1, -1).replace(PUBLIC_URL, auth.url),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      },
    );
    expect(oneClick.status).toBe(200);
    const me = await request<Me>(auth.url, 'GET', '/auth/me', { token: bob.token });
    expect(me.body).toMatchObject({ email, emailVerified: true, emailNotifications: false });
    const m4 = await post(id, 'after unsubscribing');
    await notify(bob, m4);
    expect(await smtp.during(email, QUIET_MS)).toEqual([]);
  });

  it('waits while a socket of the user is connected (on either replica), and sends once they are gone', async () => {
    const carol = await person('carol');
    const id = await room(carol);
    const m = await post(id, 'are you there?');
    const socket = await connect(b.url, carol.token);
    try {
      await notify(carol, m);
      expect(await smtp.during(carol.email, QUIET_MS)).toEqual([]);
      expect(await pendingOf(carol)).toBe(1);
    } finally {
      socket.close();
    }
    const mail = await smtp.next(carol.email);
    expect(mail.parsed.text).toContain(permalink(m));
  });

  it('skips notifications the user read: nothing is sent, and they are retired', async () => {
    const dave = await person('dave');
    const id = await room(dave);
    const read1 = await post(id, 'read one');
    const read2 = await post(id, 'read two');
    expect((await api(a.url, dave)('POST', `/channels/${id}/read`, { seq: read2.seq })).status).toBe(204);
    await notify(dave, read1);
    await notify(dave, read2);
    expect(await smtp.during(dave.email, QUIET_MS)).toEqual([]);
    // Retired without being sent.
    expect(await pendingOf(dave)).toBe(0);
  });

  it('a channel read marker past one notification leaves only the other in the digest', async () => {
    const erin = await person('erin');
    const id = await room(erin);
    const first = await post(id, 'first, read');
    const second = await post(id, 'second, unread');
    expect((await api(a.url, erin)('POST', `/channels/${id}/read`, { seq: first.seq })).status).toBe(204);
    await notify(erin, first);
    await notify(erin, second);
    const mail = await smtp.next(erin.email);
    expect(mail.parsed.subject).toBe('1 new notification in Chat');
    expect(mail.parsed.text).toContain(permalink(second));
    expect(mail.parsed.text).not.toContain(permalink(first));
    expect(await smtp.during(erin.email, QUIET_MS)).toHaveLength(0);
  });

  it('a reply read in its thread is skipped although the channel marker is behind it', async () => {
    const frank = await person('frank');
    const id = await room(frank);
    const root = await post(id, 'root');
    const reply = await post(id, 'a reply', { threadId: root.id });
    // Following the thread (as replying or a mention would make him) gives frank a thread read marker.
    await sql(
      `INSERT INTO thread_follows (user_id, root_id, channel_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [frank.id, root.id, id],
    );
    expect((await api(b.url, frank)('POST', `/messages/${root.id}/read`, { seq: reply.seq })).status).toBe(
      204,
    );
    await notify(frank, reply, { kind: 'reply' });
    expect(await smtp.during(frank.email, QUIET_MS)).toEqual([]);
    expect(await pendingOf(frank)).toBe(0);
  });

  it('sends nothing to an unverified address or an unsubscribed user, nor about a deleted message', async () => {
    const unverified = await person('grace', { verified: false });
    const unsubscribed = await person('heidi');
    await sql(`UPDATE users SET email_notifications = false WHERE id = $1`, [unsubscribed.id]);
    const deletedFor = await person('ivan');
    const id = await room(unverified, unsubscribed, deletedFor);
    const m = await post(id, 'hello all');
    const gone = await post(id, 'deleted soon');
    expect((await api(a.url, alice)('DELETE', `/messages/${gone.id}`)).status).toBe(204);
    await notify(unverified, m);
    await notify(unsubscribed, m);
    await notify(deletedFor, gone);
    const [x, y, z] = await Promise.all([
      smtp.during(unverified.email, QUIET_MS),
      smtp.during(unsubscribed.email, QUIET_MS),
      smtp.during(deletedFor.email, QUIET_MS),
    ]);
    expect([x, y, z]).toEqual([[], [], []]);
    expect(await pendingOf(unverified)).toBe(0);
    expect(await pendingOf(unsubscribed)).toBe(0);
    expect(await pendingOf(deletedFor)).toBe(0);
  });

  it('two replicas send exactly one digest per user', async () => {
    const people = await Promise.all(Array.from({ length: 8 }, (_, i) => person(`many${i}`)));
    const id = await room(...people);
    const m = await post(id, 'to everyone');
    await Promise.all(people.map((p) => notify(p, m)));
    const mails = await Promise.all(people.map((p) => smtp.next(p.email)));
    expect(mails.map((x) => x.parsed.text)).toEqual(people.map(() => expect.stringContaining(permalink(m))));
    await sleep(QUIET_MS);
    expect(people.map((p) => smtp.to(p.email).length)).toEqual(people.map(() => 1));
    expect(new Set(mails.map((x) => x.parsed.messageId)).size).toBe(people.length);
  });

  it('a refused send is retried after the window, then delivered once', async () => {
    const judy = await person('judy');
    const id = await room(judy);
    const m1 = await post(id, 'first try');
    const m2 = await post(id, 'still there');
    const refusedBefore = smtp.refused;
    smtp.failing = true;
    try {
      await notify(judy, m1);
      await notify(judy, m2);
      while (smtp.refused === refusedBefore) await sleep(50);
      // Left for later: nothing recorded as sent.
      expect(await pendingOf(judy)).toBe(2);
    } finally {
      smtp.failing = false;
    }
    const delivered = await smtp.next(judy.email);
    expect(delivered.parsed.subject).toBe('2 new notifications in Chat');
    expect(delivered.parsed.text).toContain(permalink(m1));
    expect(delivered.parsed.text).toContain(permalink(m2));
    expect(await smtp.during(judy.email, QUIET_MS)).toEqual([]);
    expect(smtp.to(judy.email)).toEqual([delivered]);
  });
});

describeWithRedis('away digest emails without SMTP_URL', () => {
  let auth: Running & { jwksUrl: string };
  let gateway: Running;
  const db = ownDatabase();
  const sql = db.sql;

  beforeAll(async () => {
    const DATABASE_URL = await db.open();
    auth = await startAuth({ DATABASE_URL, PUBLIC_URL });
    gateway = await startGateway(auth, { DATABASE_URL, SMTP_URL: '', PUBLIC_URL, EMAIL_NOTIFY_AFTER: '1s' });
  });
  afterAll(async () => {
    await gateway?.close();
    await auth?.close();
    await db.close();
  });

  it('sends nothing and leaves the notifications pending', async () => {
    const owner = await newUser(auth.url, 'owner');
    const kim = await newUser(auth.url, 'kim');
    const email = mailbox('kim');
    await sql(`UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1`, [kim.id, email]);
    const ch = await api(gateway.url, owner)('POST', '/channels', {
      name: uniqueName('room'),
      kind: 'public',
    });
    await api(gateway.url, kim)('POST', `/channels/${ch.body.id}/join`);
    const m = (await api(gateway.url, owner)('POST', `/channels/${ch.body.id}/messages`, { body: 'hi' }))
      .body;
    await sql(
      `INSERT INTO notifications (user_id, channel_id, message_id, seq, kind, title, body, created_at)
       VALUES ($1, $2, $3, $4, 'mention', 'owner in #room', 'hi', now() - interval '5 seconds')
       ON CONFLICT (user_id, message_id) DO UPDATE SET created_at = EXCLUDED.created_at`,
      [kim.id, m.channelId, m.id, m.seq],
    );
    await sleep(QUIET_MS);
    expect(await sql(`SELECT emailed_at FROM notifications WHERE user_id = $1`, [kim.id])).toEqual([
      { emailed_at: null },
    ]);
  });
});
