import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateVAPIDKeys } from 'web-push';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  newUser,
  send,
  sleep,
  sql,
  startGateway,
  uploadedFile,
  type TestUser,
} from '../../../test/support/gateway';
import { twoReplicas, type Client } from '../../../test/support/replicas';

const MISSING = '00000000-0000-4000-8000-000000000000';
/** How long a socket that must not be notified is watched after a witness was notified. */
const QUIET_MS = 300;

/**
 * Who a new message notifies (issue #17) on two gateway replicas sharing one Redis and one
 * Postgres: messages are sent through one replica, the people they concern listen on the other.
 * A "never" is checked against a witness notified by the same message: its push leaves in the
 * same turn, so once the witness has it, anything owed to the others has left too.
 */
describeWithRedis('notifications (two replicas)', () => {
  const {
    a,
    b,
    users: { alice, bob, carol, dave, erin },
    open,
    channel,
    post,
  } = twoReplicas({ users: ['alice', 'bob', 'carol', 'dave', 'erin'] });
  const on = (replica: Running, user: TestUser) => api(replica.url, user);
  const prefs = (user: TestUser, channelId: string, body: unknown, replica: Running = a) =>
    on(replica, user)('PUT', `/channels/${channelId}/preferences`, body);
  const setPrefs = async (user: TestUser, channelId: string, body: object) => {
    const res = await prefs(user, channelId, body);
    expect(res.status).toBe(200);
    return res.body;
  };
  const nameOf = async (channelId: string) =>
    (await on(a, alice)('GET', `/channels/${channelId}`)).body.name as string;
  const notified = (c: Client, messageId: string) =>
    c.inbox.next('notification', (n) => n.messageId === messageId);
  /** Every notification of the message the socket got, counted after a quiet spell. */
  const quiet = async (c: Client, messageId: string) => {
    await sleep(QUIET_MS);
    return c.inbox.all('notification', (n) => n.messageId === messageId);
  };
  const none = async (clients: Client[], messageId: string) => {
    const got = await Promise.all(clients.map((c) => quiet(c, messageId)));
    expect(got).toEqual(clients.map(() => []));
  };

  describe('who is notified', () => {
    it('a mention sent through one replica notifies the mentioned member on the other, exactly once', async () => {
      const id = await channel('public', bob, carol);
      const bobOnB = await open(b, bob);
      const bobOnA = await open(a, bob);
      const carolOnB = await open(b, carol);
      const aliceOnB = await open(b, alice);
      const message = await post(a, alice, id, `hey @${bob.username}, **look** at [this](https://x.test)`);
      const expected = {
        kind: 'mention',
        channelId: id,
        messageId: message.id,
        seq: message.seq,
        title: `${alice.username} in #${await nameOf(id)}`,
        body: `hey @${bob.username}, look at this`,
      };
      // Every socket of the user, on either replica, once.
      expect(await notified(bobOnB, message.id)).toEqual(expected);
      expect(await notified(bobOnA, message.id)).toEqual(expected);
      expect(await quiet(bobOnB, message.id)).toEqual([expected]);
      expect(bobOnA.inbox.all('notification', (n) => n.messageId === message.id)).toEqual([expected]);
      // Not the author, not a member at the default level whom it does not mention.
      await none([aliceOnB, carolOnB], message.id);
    });

    it('never notifies the author, even of their own @channel or self-mention', async () => {
      const id = await channel('private', bob);
      await setPrefs(alice, id, { notify: 'all' });
      const aliceOnB = await open(b, alice);
      const bobOnB = await open(b, bob);
      const message = await post(a, alice, id, `@channel and @${alice.username}`);
      expect((await notified(bobOnB, message.id)).kind).toBe('mention');
      await none([aliceOnB], message.id);
    });

    it('a muted member and a member at none get nothing, not even a mention or @channel', async () => {
      const id = await channel('public', bob, carol, dave);
      await setPrefs(bob, id, { muted: true });
      await setPrefs(carol, id, { notify: 'none' });
      const [bobOnB, carolOnB, daveOnB] = await Promise.all([open(b, bob), open(b, carol), open(b, dave)]);
      const message = await post(a, alice, id, `@${bob.username} @${carol.username} @${dave.username}`);
      expect((await notified(daveOnB, message.id)).kind).toBe('mention');
      await none([bobOnB, carolOnB], message.id);
      const everyone = await post(a, alice, id, '@here please');
      expect((await notified(daveOnB, everyone.id)).kind).toBe('mention');
      await none([bobOnB, carolOnB], everyone.id);
      // Muted wins over any level; unmuting brings the level back.
      await setPrefs(bob, id, { notify: 'all' });
      const still = await post(a, alice, id, 'muted still');
      await setPrefs(carol, id, { notify: 'all' });
      const plain = await post(a, alice, id, 'carol hears this one');
      expect((await notified(carolOnB, plain.id)).kind).toBe('message');
      await none([bobOnB], still.id);
      await setPrefs(bob, id, { muted: false });
      const back = await post(a, alice, id, 'unmuted');
      expect((await notified(bobOnB, back.id)).kind).toBe('message');
    });

    it('all: every new message, as message, mention or reply, sent over REST or the socket', async () => {
      const id = await channel('private', bob, carol);
      await setPrefs(bob, id, { notify: 'all' });
      const bobOnB = await open(b, bob);
      const carolOnA = await open(a, carol);
      const first = await post(a, alice, id, 'plain');
      expect((await notified(bobOnB, first.id)).kind).toBe('message');
      const ack = await send(carolOnA.socket, 'message:send', { channelId: id, body: `@${bob.username} hi` });
      expect(ack.ok).toBe(true);
      expect(await notified(bobOnB, ack.message.id)).toMatchObject({
        kind: 'mention',
        title: `${carol.username} in #${await nameOf(id)}`,
        seq: ack.message.seq,
      });
      const root = await post(a, bob, id, 'a root by bob');
      const reply = await post(a, alice, id, 'a reply', { threadId: root.id });
      expect((await notified(bobOnB, reply.id)).kind).toBe('reply');
      const file = await uploadedFile(id, alice.id);
      const withFile = await post(a, alice, id, '`` ``', { attachmentIds: [file] });
      expect((await notified(bobOnB, withFile.id)).body).toBe('`` ``');
    });

    it('a DM notifies by default as dm titled with the author; at mentions only mentions do', async () => {
      const dm = await on(a, alice)('POST', '/dms', { userId: bob.id });
      expect(dm.body).toMatchObject({ kind: 'dm', notify: 'all', muted: false });
      const bobOnB = await open(b, bob);
      const first = await post(a, alice, dm.body.id, 'psst\n\nover here');
      expect(await notified(bobOnB, first.id)).toEqual({
        kind: 'dm',
        channelId: dm.body.id,
        messageId: first.id,
        seq: first.seq,
        title: alice.username,
        body: 'psst over here',
      });
      await setPrefs(bob, dm.body.id, { notify: 'mentions' });
      const ignored = await post(a, alice, dm.body.id, 'not a mention');
      const mention = await post(a, alice, dm.body.id, `@${bob.username} now`);
      expect((await notified(bobOnB, mention.id)).kind).toBe('dm');
      expect(bobOnB.inbox.all('notification', (n) => n.messageId === ignored.id)).toEqual([]);
    });

    it('a reply notifies the root author and earlier repliers, not other members or its author', async () => {
      const id = await channel('public', bob, carol, dave);
      const [aliceOnB, bobOnB, carolOnB, daveOnB] = await Promise.all([
        open(b, alice),
        open(b, bob),
        open(b, carol),
        open(b, dave),
      ]);
      const root = await post(a, bob, id, 'root by bob');
      const first = await post(a, carol, id, 'carol replies', { threadId: root.id });
      expect((await notified(bobOnB, first.id)).kind).toBe('reply');
      await none([carolOnB, aliceOnB, daveOnB], first.id);
      // Through the socket on the other replica: bob (root) and carol (earlier replier).
      const ack = await send(daveOnB.socket, 'message:send', {
        channelId: id,
        body: 'dave too',
        threadId: first.id,
      });
      expect(ack.ok).toBe(true);
      const [toBob, toCarol] = await Promise.all([
        notified(bobOnB, ack.message.id),
        notified(carolOnB, ack.message.id),
      ]);
      expect([toBob.kind, toCarol.kind]).toEqual(['reply', 'reply']);
      await none([daveOnB, aliceOnB], ack.message.id);
      // A follower who left the channel hears no more of it.
      expect((await on(a, carol)('POST', `/channels/${id}/leave`)).status).toBe(204);
      const later = await post(a, dave, id, 'after carol left', { threadId: root.id });
      expect((await notified(bobOnB, later.id)).kind).toBe('reply');
      await none([carolOnB], later.id);
    });

    it('@channel notifies every member at mentions except the author and the muted', async () => {
      const id = await channel('private', bob, carol, dave, erin);
      await setPrefs(erin, id, { muted: true });
      const clients = await Promise.all([bob, carol, dave, erin, alice].map((u) => open(b, u)));
      const message = await post(a, alice, id, '@channel standup in 5');
      const got = await Promise.all(clients.slice(0, 3).map((c) => notified(c, message.id)));
      expect(got.map((n) => n.kind)).toEqual(['mention', 'mention', 'mention']);
      await none(clients.slice(3), message.id);
      // Once each.
      expect(
        clients.slice(0, 3).map((c) => c.inbox.all('notification', (n) => n.messageId === message.id).length),
      ).toEqual([1, 1, 1]);
    });

    it('a retried send (same clientId, through the other replica) notifies once', async () => {
      const id = await channel('private', bob);
      const bobOnB = await open(b, bob);
      const aliceOnB = await open(b, alice);
      const clientId = uniqueName('retry');
      const body = `@${bob.username} once`;
      const first = await post(a, alice, id, body, { clientId });
      expect((await notified(bobOnB, first.id)).kind).toBe('mention');
      const again = await post(b, alice, id, body, { clientId });
      const ack = await send(aliceOnB.socket, 'message:send', { channelId: id, body, clientId });
      expect([again.id, ack.ok && ack.message.id]).toEqual([first.id, first.id]);
      // A later message proves the retries' turn has passed.
      const next = await post(a, alice, id, `@${bob.username} next`);
      await notified(bobOnB, next.id);
      expect(await quiet(bobOnB, first.id)).toHaveLength(1);
    });

    it('a hostile body arrives as one bounded line of plain text', async () => {
      const id = await channel('private', bob);
      const bobOnB = await open(b, bob);
      const body =
        `@${bob.username} \u202Egnp.exe\u0007 ` + 'ש'.repeat(1000) + '\n'.repeat(500) + 'x'.repeat(2400);
      const message = await post(a, alice, id, body);
      const n = await notified(bobOnB, message.id);
      expect([...n.body].length).toBeLessThanOrEqual(200);
      expect(n.body.endsWith('…')).toBe(true);
      // eslint-disable-next-line no-control-regex -- no control character may remain
      expect(n.body).not.toMatch(/[\u0000-\u001F\u202A-\u202E]/);
      expect(n.body.startsWith(`@${bob.username} gnp.exe ששש`)).toBe(true);
    });
  });

  describe('digest rows', () => {
    it('records a notification only for recipients with a verified address who want emails', async () => {
      const id = await channel('private', bob, carol, dave, erin);
      const emailOf = (u: TestUser) => `${u.username}@example.test`;
      await sql(`UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1`, [
        bob.id,
        emailOf(bob),
      ]);
      await sql(`UPDATE users SET email = $2, email_verified_at = NULL WHERE id = $1`, [
        carol.id,
        emailOf(carol),
      ]);
      await sql(
        `UPDATE users SET email = $2, email_verified_at = now(), email_notifications = false WHERE id = $1`,
        [dave.id, emailOf(dave)],
      );
      // Verified, but banned: notified of nothing at all.
      await sql(`UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1`, [
        erin.id,
        emailOf(erin),
      ]);
      try {
        await sql(`UPDATE users SET banned_at = now() WHERE id = $1`, [erin.id]);
        const bobOnB = await open(b, bob);
        const carolOnB = await open(b, carol);
        const message = await post(a, alice, id, `@channel _release_ **today**`);
        await Promise.all([notified(bobOnB, message.id), notified(carolOnB, message.id)]);
        const readRows = () =>
          sql(
            `SELECT user_id, channel_id, message_id, seq::int AS seq, kind, title, body, emailed_at
               FROM notifications WHERE message_id = $1`,
            [message.id],
          );
        let rows = await readRows();
        for (let i = 0; i < 20 && rows.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          rows = await readRows();
        }
        expect(rows).toEqual([
          {
            user_id: bob.id,
            channel_id: id,
            message_id: message.id,
            seq: message.seq,
            kind: 'mention',
            title: `${alice.username} in #${await nameOf(id)}`,
            body: '@channel _release_ today',
            emailed_at: null,
          },
        ]);
      } finally {
        await sql(
          `UPDATE users SET email = NULL, email_verified_at = NULL, email_notifications = true, banned_at = NULL
            WHERE id = ANY($1::uuid[])`,
          [[bob.id, carol.id, dave.id, erin.id]],
        );
      }
    });
  });

  describe('PUT /channels/:id/preferences', () => {
    it("sets the caller's level and mute, and every Channel the caller gets carries them", async () => {
      const id = await channel('public', bob);
      const before = await on(a, bob)('GET', `/channels/${id}`);
      expect(before.body).toMatchObject({ notify: 'mentions', muted: false });
      const bobElsewhere = await open(b, bob);
      const aliceOnB = await open(b, alice);
      const set = await prefs(bob, id, { notify: 'all' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ id, kind: 'public', notify: 'all', muted: false, memberCount: 2 });
      // The caller's other devices learn it; other members' Channel is not theirs to change.
      expect(await bobElsewhere.inbox.next('channel:updated', (c) => c.id === id)).toEqual(set.body);
      await sleep(QUIET_MS);
      expect(aliceOnB.inbox.all('channel:updated', (c) => c.id === id)).toEqual([]);
      // Each field alone changes only itself.
      expect((await setPrefs(bob, id, { muted: true })).notify).toBe('all');
      expect((await setPrefs(bob, id, { notify: 'none' })).muted).toBe(true);
      const list = await on(b, bob)('GET', '/channels');
      expect(list.body.find((c: any) => c.id === id)).toMatchObject({ notify: 'none', muted: true });
      expect((await on(b, bob)('GET', `/channels/${id}`)).body).toMatchObject({
        notify: 'none',
        muted: true,
      });
      // Another member's preferences are untouched, here and in the public directory.
      expect((await on(a, alice)('GET', `/channels/${id}`)).body).toMatchObject({
        notify: 'mentions',
        muted: false,
      });
      const name = await nameOf(id);
      const browse = await on(a, carol)('GET', `/channels/public?q=${encodeURIComponent(name)}`);
      expect(browse.body.find((c: any) => c.id === id)).toMatchObject({ notify: 'mentions', muted: false });
      // Back to the default level: shown as the default.
      expect(await setPrefs(bob, id, { notify: 'mentions', muted: false })).toMatchObject({
        notify: 'mentions',
        muted: false,
      });
      const [row] = await sql(
        `SELECT notify, muted FROM memberships WHERE channel_id = $1 AND user_id = $2`,
        [id, bob.id],
      );
      expect(row).toEqual({ notify: null, muted: false });
    });

    it("a rename pushes each member a Channel with their own preferences, not another member's", async () => {
      const id = await channel('private', bob, carol);
      await setPrefs(bob, id, { notify: 'all', muted: true });
      const [bobOnB, carolOnB, aliceOnB] = await Promise.all([open(b, bob), open(b, carol), open(b, alice)]);
      const name = uniqueName('renamed');
      expect((await on(a, alice)('PATCH', `/channels/${id}`, { name })).status).toBe(200);
      const seen = await Promise.all(
        [bobOnB, carolOnB, aliceOnB].map((c) => c.inbox.next('channel:updated', (x) => x.id === id)),
      );
      expect(seen.map((c) => [c.name, c.notify, c.muted])).toEqual([
        [name, 'all', true],
        [name, 'mentions', false],
        [name, 'mentions', false],
      ]);
    });

    it('a joined channel arrives with the defaults, and leaving forgets the preferences', async () => {
      const id = await channel('public');
      const joined = await on(b, carol)('POST', `/channels/${id}/join`);
      expect(joined.body).toMatchObject({ notify: 'mentions', muted: false });
      await setPrefs(carol, id, { notify: 'all', muted: true });
      expect((await on(b, carol)('POST', `/channels/${id}/leave`)).status).toBe(204);
      const again = await on(b, carol)('POST', `/channels/${id}/join`);
      expect(again.body).toMatchObject({ notify: 'mentions', muted: false });
    });

    it('refuses an empty body, bad values, unknown fields, non-members and bad ids with the contract shape', async () => {
      const id = await channel('private', bob);
      const pub = await channel('public');
      const cases: [unknown, number, string][] = [
        [{}, 400, 'VALIDATION'],
        [{ notify: null, muted: null }, 400, 'VALIDATION'],
        [{ notify: 'loud' }, 400, 'VALIDATION'],
        [{ notify: 'ALL' }, 400, 'VALIDATION'],
        [{ notify: ['all'] }, 400, 'VALIDATION'],
        [{ muted: 'yes' }, 400, 'VALIDATION'],
        [{ muted: 1 }, 400, 'VALIDATION'],
        [{ notify: 'all', extra: true }, 400, 'VALIDATION'],
        [[], 400, 'VALIDATION'],
      ];
      for (const [body, status, code] of cases) {
        const res = await prefs(bob, id, body);
        expect([JSON.stringify(body), res.status, res.body.code]).toEqual([
          JSON.stringify(body),
          status,
          code,
        ]);
        expect(res.body).toEqual({
          statusCode: status,
          code,
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
      const refusals: [TestUser, string, number, string][] = [
        [carol, id, 404, 'NOT_FOUND'],
        [carol, pub, 403, 'FORBIDDEN'],
        [bob, MISSING, 404, 'NOT_FOUND'],
        // A malformed path id is a channel that does not exist (the app's rule for every :id).
        [bob, 'not-a-uuid', 404, 'NOT_FOUND'],
      ];
      for (const [user, channelId, status, code] of refusals) {
        const res = await prefs(user, channelId, { notify: 'all' });
        expect([channelId, res.status, res.body.code]).toEqual([channelId, status, code]);
      }
      // Nothing changed for the member, and the service still answers.
      expect((await on(a, bob)('GET', `/channels/${id}`)).body).toMatchObject({
        notify: 'mentions',
        muted: false,
      });
      expect((await setPrefs(bob, id, { notify: 'none' })).notify).toBe('none');
      const anonymous = await request(a.url, 'PUT', `/channels/${id}/preferences`, {
        body: { notify: 'all' },
      });
      expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHORIZED']);
      const malformed = await request(a.url, 'PUT', `/channels/${id}/preferences`, {
        token: bob.token,
        raw: '{"notify": "all",',
      });
      expect([malformed.status, malformed.body.code]).toEqual([400, 'VALIDATION']);
    });
  });
});

/**
 * The hand-off to Web Push: a recipient with no socket connected anywhere gets the notification on
 * their push subscriptions; one with a socket does not. A local HTTP receiver stands in for the
 * push service (the Web Push suite checks what it receives; here only who receives).
 */
describeWithRedis('notifications through Web Push (one gateway)', () => {
  let auth: Running & { jwksUrl: string };
  let gateway: Running;
  let receiver: Server;
  let origin = '';
  const received: { path: string }[] = [];
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  /** A subscription of `user` whose pushes go to the receiver at /<name>, with real browser-like keys. */
  const subscribe = async (user: TestUser, name: string) => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    await sql(`INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)`, [
      user.id,
      `${origin}/${name}`,
      ecdh.getPublicKey().toString('base64url'),
      randomBytes(16).toString('base64url'),
    ]);
  };
  const pushesTo = (name: string) => received.filter((r) => r.path === `/${name}`);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ path: req.url ?? '' });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    auth = await startAuth();
    const keys = generateVAPIDKeys();
    gateway = await startGateway(auth, {
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    });
    [alice, bob, carol] = await Promise.all([
      newUser(auth.url, 'alice'),
      newUser(auth.url, 'bob'),
      newUser(auth.url, 'carol'),
    ]);
  });
  afterAll(async () => {
    await gateway?.close();
    await auth?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await closeSql();
  });

  it('pushes to the recipients with no socket connected, and not to those with one', async () => {
    const created = await api(gateway.url, alice)('POST', '/channels', {
      name: uniqueName('push'),
      kind: 'private',
    });
    const id = created.body.id as string;
    for (const u of [bob, carol])
      await api(gateway.url, alice)('POST', `/channels/${id}/members`, { userId: u.id });
    const tag = randomBytes(4).toString('hex');
    await subscribe(bob, `bob-${tag}`);
    await subscribe(carol, `carol-${tag}`);
    const carolSocket = await connect(gateway.url, carol.token);
    try {
      // Carol counts as online once her socket's presence lease is taken: ask until it is.
      for (let i = 0; i < 50; i++) {
        const ack = await send(carolSocket, 'presence:subscribe', { userIds: [carol.id] });
        if (ack.ok && ack.online.includes(carol.id)) break;
        await sleep(50);
      }
      const res = await api(gateway.url, alice)('POST', `/channels/${id}/messages`, {
        body: `@${bob.username} @${carol.username} are you there?`,
      });
      expect(res.status).toBe(201);
      for (let i = 0; i < 100 && pushesTo(`bob-${tag}`).length === 0; i++) await sleep(50);
      expect(pushesTo(`bob-${tag}`)).toHaveLength(1);
      await sleep(300);
      expect(pushesTo(`carol-${tag}`)).toEqual([]);
    } finally {
      carolSocket.close();
    }
  });
});
