import { randomUUID } from 'node:crypto';
import { generateVAPIDKeys } from 'web-push';
import type { Notification } from '@chat/contracts';
import { PushQueue } from '../src/notifications/push/push-queue';
import { pushTopic } from '../src/notifications/push/push-sender';
import { SUBSCRIPTIONS_PER_USER } from '../src/notifications/push/push.service';
import { startAuth, type Running } from '../../../test/support/apps';
import {
  api,
  closeSql,
  newUser,
  sleep,
  sql,
  startGateway,
  type TestUser,
} from '../../../test/support/gateway';
import {
  startPushReceiver,
  type PushReceiver,
  type TestSubscription,
} from '../../../test/support/push-receiver';

const PUBLIC_URL = 'https://chat.example.com';
const SUBJECT = 'mailto:ops@example.com';

/**
 * Web Push end to end: two gateway replicas on the run's Postgres and Redis, a real push service
 * on loopback (test/support/push-receiver.ts) that decrypts each push and checks its VAPID
 * signature. Notifications are queued through the app's PushQueue, as the notification service
 * does for users with no socket; one test goes through a real DM.
 */
describe('Web Push', () => {
  const vapid = generateVAPIDKeys();
  const env = {
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: SUBJECT,
    PUBLIC_URL,
    // The receiver listens on loopback over http, which only an operator's allowlist permits.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  };
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  /** A replica with no VAPID keys: Web Push off. */
  let off: Running;
  let rx: PushReceiver;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    auth = await startAuth();
    [a, b, off] = await Promise.all([startGateway(auth, env), startGateway(auth, env), startGateway(auth)]);
    rx = await startPushReceiver();
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
  });

  /** Replicas a test started, or stopped itself (closed at most once). */
  const closed = new Set<Running>();
  const extra: Running[] = [];
  const stop = async (g: Running) => {
    if (closed.has(g)) return;
    closed.add(g);
    await g.close();
  };

  afterAll(async () => {
    await Promise.all([a, b, off, ...extra].filter(Boolean).map(stop));
    await auth?.close();
    await rx?.close();
    await closeSql();
  });

  const subscribe = async (user: TestUser, sub: TestSubscription, via = a) => {
    const res = await api(via.url, user)('POST', '/push/subscriptions', sub.json);
    expect(res.status).toBe(201);
  };
  const note = (channelId: string, seq: number, kind: Notification['kind'] = 'dm'): Notification => ({
    kind,
    channelId,
    messageId: randomUUID(),
    seq,
    title: 'alice',
    body: `message ${seq} ✓`,
  });
  const enqueue = (via: Running, userIds: string[], n: Notification) =>
    via.app.get(PushQueue).enqueue(userIds, n);
  const subscriptionRow = async (sub: TestSubscription) =>
    (await sql(`SELECT * FROM push_subscriptions WHERE endpoint = $1`, [sub.json.endpoint]))[0];
  const outboxRows = (sub: TestSubscription) =>
    sql(
      `SELECT o.* FROM push_outbox o JOIN push_subscriptions s ON s.id = o.subscription_id WHERE s.endpoint = $1`,
      [sub.json.endpoint],
    );

  describe('routes', () => {
    it('gives the VAPID public key, and 404 in the error shape where Web Push is off', async () => {
      const res = await api(a.url, alice)('GET', '/push/key');
      expect(res).toMatchObject({ status: 200, body: { publicKey: vapid.publicKey } });
      const none = await api(off.url, alice)('GET', '/push/key');
      expect(none.status).toBe(404);
      expect(none.body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: expect.stringMatching(/not configured/),
        requestId: expect.any(String),
      });
      const sub = rx.subscribe();
      expect((await api(off.url, alice)('POST', '/push/subscriptions', sub.json)).status).toBe(404);
      expect(await subscriptionRow(sub)).toBeUndefined();
    });

    it('needs a signed-in user', async () => {
      const res = await fetch(`${a.url}/push/key`);
      expect(res.status).toBe(401);
      const sub = rx.subscribe();
      const post = await fetch(`${a.url}/push/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sub.json),
      });
      expect(post.status).toBe(401);
    });

    it('stores a subscription for the caller, once per endpoint, with its keys as sent', async () => {
      const sub = rx.subscribe();
      await subscribe(alice, sub);
      await subscribe(alice, sub, b);
      const rows = await sql(`SELECT user_id, p256dh, auth FROM push_subscriptions WHERE endpoint = $1`, [
        sub.json.endpoint,
      ]);
      expect(rows).toEqual([{ user_id: alice.id, ...sub.json.keys }]);
    });

    it('refuses hostile endpoints and keys with 400 VALIDATION, and keeps answering', async () => {
      const good = rx.subscribe().json;
      const point = Buffer.from(good.keys.p256dh, 'base64url');
      const notFour = Buffer.from(point);
      notFour[0] = 0x05;
      const offCurve = Buffer.from(point);
      offCurve[64] ^= 1;
      const cases: [string, unknown][] = [
        ['not a URL', { ...good, endpoint: 'not a url' }],
        ['javascript:', { ...good, endpoint: 'javascript:alert(document.cookie)' }],
        ['file:', { ...good, endpoint: 'file:///etc/passwd' }],
        ['a 10 KB endpoint', { ...good, endpoint: `https://push.example.com/${'a'.repeat(10_240)}` }],
        ['http to a public host', { ...good, endpoint: 'http://push.example.com/x' }],
        ['the metadata service', { ...good, endpoint: 'https://169.254.169.254/latest/meta-data' }],
        ['loopback spelled oddly', { ...good, endpoint: 'https://0x7f.1/x' }],
        ['credentials in the URL', { ...good, endpoint: 'https://u:p@push.example.com/x' }],
        [
          'p256dh of 64 bytes',
          { ...good, keys: { ...good.keys, p256dh: point.subarray(1).toString('base64url') } },
        ],
        [
          'p256dh not starting 0x04',
          { ...good, keys: { ...good.keys, p256dh: notFour.toString('base64url') } },
        ],
        ['p256dh off the curve', { ...good, keys: { ...good.keys, p256dh: offCurve.toString('base64url') } }],
        [
          'auth of 15 bytes',
          { ...good, keys: { ...good.keys, auth: Buffer.alloc(15, 1).toString('base64url') } },
        ],
        [
          'auth of 17 bytes',
          { ...good, keys: { ...good.keys, auth: Buffer.alloc(17, 1).toString('base64url') } },
        ],
        ['no keys', { endpoint: good.endpoint }],
        ['keys not an object', { ...good, keys: 'x' }],
        ['an unknown field', { ...good, extra: 1 }],
        ['an array', [good]],
      ];
      for (const [what, body] of cases) {
        const res = await api(a.url, alice)('POST', '/push/subscriptions', body);
        expect({ what, status: res.status, code: res.body?.code }).toEqual({
          what,
          status: 400,
          code: 'VALIDATION',
        });
        expect(res.body).toEqual({
          statusCode: 400,
          code: 'VALIDATION',
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
      const stored = await sql(
        `SELECT count(*)::int AS n FROM push_subscriptions WHERE user_id = $1 AND endpoint NOT LIKE $2`,
        [alice.id, `${rx.origin}/%`],
      );
      expect(stored[0].n).toBe(0);
      expect((await api(a.url, alice)('GET', '/push/key')).status).toBe(200);
    });

    it('moves an endpoint to the user who subscribes it now, without the previous user’s queued pushes', async () => {
      const sub = rx.subscribe('hang');
      const carol = await newUser(auth.url, 'carol');
      const dave = await newUser(auth.url, 'dave');
      await subscribe(carol, sub);
      // Carol's push is stuck at her service; a newer one of the channel waits in the outbox behind it.
      const channelId = randomUUID();
      await enqueue(a, [carol.id], note(channelId, 1));
      await rx.waitFor(() => rx.requests(sub).length === 1, 10_000, "carol's first push");
      await enqueue(a, [carol.id], note(channelId, 2));
      expect(await outboxRows(sub)).toEqual([expect.objectContaining({ version: 2 })]);
      sub.fallback = 201;
      await subscribe(dave, sub, b);
      expect((await subscriptionRow(sub)).user_id).toBe(dave.id);
      expect(await outboxRows(sub)).toEqual([]);
      await enqueue(b, [carol.id], note(randomUUID(), 3));
      await enqueue(b, [dave.id], note(randomUUID(), 4));
      await rx.waitFor(() => rx.delivered(sub).length === 1, 10_000, "dave's push");
      await sleep(1500);
      expect(rx.delivered(sub).map((r) => r.payload.seq)).toEqual([4]);
    });

    it('deletes only the caller’s own subscription, and answers 204 for an unknown one', async () => {
      const mine = rx.subscribe();
      const bobs = rx.subscribe();
      await subscribe(alice, mine);
      await subscribe(bob, bobs);
      const del = (user: TestUser, endpoint: string) =>
        api(b.url, user)('DELETE', '/push/subscriptions', { endpoint });
      expect((await del(alice, bobs.json.endpoint)).status).toBe(204);
      expect(await subscriptionRow(bobs)).toBeDefined();
      expect((await del(alice, mine.json.endpoint)).status).toBe(204);
      expect(await subscriptionRow(mine)).toBeUndefined();
      expect((await del(alice, mine.json.endpoint)).status).toBe(204);
      expect((await del(alice, 'https://push.example.com/never-subscribed')).status).toBe(204);
      const hostile = await api(b.url, alice)('DELETE', '/push/subscriptions', {
        endpoint: 'x'.repeat(10_240),
      });
      expect(hostile).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
    });

    it(`keeps a user's ${SUBSCRIPTIONS_PER_USER} most recent subscriptions, dropping the oldest`, async () => {
      const erin = await newUser(auth.url, 'erin');
      const subs = Array.from({ length: SUBSCRIPTIONS_PER_USER + 2 }, () => rx.subscribe());
      for (const s of subs) await subscribe(erin, s);
      const kept = await sql<{ endpoint: string }>(
        `SELECT endpoint FROM push_subscriptions WHERE user_id = $1`,
        [erin.id],
      );
      expect(kept.map((r) => r.endpoint).sort()).toEqual(
        subs
          .slice(2)
          .map((s) => s.json.endpoint)
          .sort(),
      );
      // Subscribing an old one again makes it the most recent: the oldest other one goes.
      await subscribe(erin, subs[2]);
      await subscribe(erin, subs[0]);
      const after = await sql<{ endpoint: string }>(
        `SELECT endpoint FROM push_subscriptions WHERE user_id = $1`,
        [erin.id],
      );
      expect(after.map((r) => r.endpoint)).toContain(subs[2].json.endpoint);
      expect(after.map((r) => r.endpoint)).not.toContain(subs[3].json.endpoint);
      expect(after).toHaveLength(SUBSCRIPTIONS_PER_USER);
    });
  });

  describe('delivery', () => {
    it('delivers a queued notification, encrypted to the subscription and signed with the VAPID key', async () => {
      const user = await newUser(auth.url, 'fred');
      const sub = rx.subscribe();
      await subscribe(user, sub);
      const n = note(randomUUID(), 7, 'dm');
      await enqueue(a, [user.id], n);
      await rx.waitFor(() => rx.delivered(sub).length === 1, 10_000, 'the push');
      const [got] = rx.requests(sub);
      expect(got.error).toBeUndefined();
      expect(got.payload).toEqual({
        ...n,
        url: `${PUBLIC_URL}/#/c/${n.channelId}/m/7`,
        tag: `channel:${n.channelId}`,
      });
      expect(got.vapid).toEqual({
        aud: rx.origin,
        sub: SUBJECT,
        key: vapid.publicKey,
        exp: expect.any(Number),
      });
      expect(got.headers).toMatchObject({
        ttl: String(24 * 3600),
        urgency: 'high',
        topic: pushTopic(n.channelId),
        'content-encoding': 'aes128gcm',
      });
      await waitUntil(async () => (await outboxRows(sub)).length === 0, 'the outbox row deleted');
      expect((await subscriptionRow(sub)).last_success_at).not.toBeNull();
    });

    it('sends every subscription of every recipient one push, on one replica each', async () => {
      const [u1, u2] = await Promise.all([newUser(auth.url, 'gus'), newUser(auth.url, 'hal')]);
      const subs = [rx.subscribe(), rx.subscribe(), rx.subscribe()];
      await subscribe(u1, subs[0]);
      await subscribe(u1, subs[1], b);
      await subscribe(u2, subs[2]);
      // Ten channels queued through both replicas at once: both workers claim, none twice.
      const channels = Array.from({ length: 10 }, () => randomUUID());
      await Promise.all(
        channels.map((c, i) => enqueue(i % 2 ? a : b, [u1.id, u2.id], note(c, i + 1, 'mention'))),
      );
      await rx.waitFor(() => subs.every((s) => rx.delivered(s).length === 10), 15_000, '30 pushes');
      await sleep(1500);
      for (const s of subs) {
        expect(rx.requests(s)).toHaveLength(10);
        expect(new Set(rx.delivered(s).map((r) => r.payload.channelId))).toEqual(new Set(channels));
        expect(rx.requests(s).every((r) => r.headers.urgency === 'high')).toBe(true);
      }
    });

    it('drops a subscription its push service answers 410, and sends it nothing more', async () => {
      const user = await newUser(auth.url, 'ida');
      const sub = rx.subscribe(410);
      await subscribe(user, sub);
      await enqueue(a, [user.id], note(randomUUID(), 1));
      await rx.waitFor(() => rx.requests(sub).length === 1, 10_000, 'the push');
      await waitUntil(async () => (await subscriptionRow(sub)) === undefined, 'the subscription dropped');
      await enqueue(b, [user.id], note(randomUUID(), 2));
      await sleep(1500);
      expect(rx.requests(sub)).toHaveLength(1);
      expect(await outboxRows(sub)).toEqual([]);
    });

    it('drops a subscription answered 404 too', async () => {
      const user = await newUser(auth.url, 'jan');
      const sub = rx.subscribe(404);
      await subscribe(user, sub);
      await enqueue(a, [user.id], note(randomUUID(), 1));
      await waitUntil(async () => (await subscriptionRow(sub)) === undefined, 'the subscription dropped');
      expect(rx.requests(sub)).toHaveLength(1);
    });

    it('retries a push answered 500 after a backoff, and delivers it once', async () => {
      const user = await newUser(auth.url, 'kim');
      const sub = rx.subscribe();
      sub.answers.push(500);
      await subscribe(user, sub);
      const n = note(randomUUID(), 3, 'reply');
      await enqueue(a, [user.id], n);
      await rx.waitFor(() => rx.requests(sub).length === 1, 10_000, 'the first attempt');
      await waitUntil(async () => (await outboxRows(sub))[0]?.attempts === 1, 'the failure recorded');
      const [row] = await outboxRows(sub);
      expect(row.last_error).toMatch(/HTTP 500/);
      expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(Date.now());
      await rx.waitFor(() => rx.delivered(sub).length === 1, 15_000, 'the retry');
      await sleep(1500);
      const [first, second] = rx.requests(sub);
      expect(rx.requests(sub)).toHaveLength(2);
      expect(second.payload).toEqual(first.payload);
      expect(second.payload.seq).toBe(3);
      expect(second.headers.urgency).toBe('normal');
      // The backoff is at least half its 5 s base (the jitter's range).
      expect(second.at - first.at).toBeGreaterThanOrEqual(2_000);
      await waitUntil(async () => (await outboxRows(sub)).length === 0, 'the outbox row deleted');
    });

    it('collapses a burst to a slow service into a few pushes, the last one the newest', async () => {
      const user = await newUser(auth.url, 'lea');
      const sub = rx.subscribe({ status: 201, delayMs: 1000 });
      await subscribe(user, sub);
      const channelId = randomUUID();
      for (let seq = 1; seq <= 20; seq++)
        await enqueue(seq % 2 ? a : b, [user.id], note(channelId, seq, 'message'));
      await rx.waitFor(() => rx.delivered(sub).some((r) => r.payload.seq === 20), 15_000, 'the newest push');
      await sleep(2000);
      const seqs = rx.delivered(sub).map((r) => r.payload.seq);
      expect(seqs.length).toBeLessThanOrEqual(3);
      expect(seqs[seqs.length - 1]).toBe(20);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(rx.requests(sub)).toHaveLength(seqs.length);
      expect(await outboxRows(sub)).toEqual([]);
    });

    it('collapses a burst while the service is down into one push of the newest, once it is back', async () => {
      const user = await newUser(auth.url, 'max');
      const sub = rx.subscribe(503);
      await subscribe(user, sub);
      const channelId = randomUUID();
      for (let seq = 1; seq <= 20; seq++) await enqueue(a, [user.id], note(channelId, seq, 'message'));
      // The service comes back once the newest payload has failed and nothing is in flight: an
      // older one still being sent at that moment would rightly be delivered too.
      await waitUntil(async () => {
        const [row] = await outboxRows(sub);
        return row?.payload.seq === 20 && row.attempts >= 1 && row.locked_until === null;
      }, 'the newest payload refused and waiting for its retry');
      expect(rx.requests(sub).length).toBeGreaterThanOrEqual(1);
      sub.fallback = 201;
      await rx.waitFor(() => rx.delivered(sub).length === 1, 20_000, 'the push once the service is back');
      await sleep(1500);
      expect(rx.delivered(sub).map((r) => r.payload.seq)).toEqual([20]);
      expect(await outboxRows(sub)).toEqual([]);
    });

    it('sends one push per channel: two channels, two notifications', async () => {
      const user = await newUser(auth.url, 'ned');
      const sub = rx.subscribe();
      await subscribe(user, sub);
      const [c1, c2] = [randomUUID(), randomUUID()];
      await enqueue(a, [user.id], note(c1, 1, 'mention'));
      await enqueue(a, [user.id], note(c2, 1, 'message'));
      await rx.waitFor(() => rx.delivered(sub).length === 2, 10_000, 'two pushes');
      const got = rx.delivered(sub);
      expect(new Set(got.map((r) => r.payload.tag))).toEqual(new Set([`channel:${c1}`, `channel:${c2}`]));
      expect(new Set(got.map((r) => r.headers.topic))).toEqual(new Set([pushTopic(c1), pushTopic(c2)]));
    });

    it('pushes a DM to a recipient with no socket connected', async () => {
      const sender = await newUser(auth.url, 'oli');
      const recipient = await newUser(auth.url, 'pat');
      const sub = rx.subscribe();
      await subscribe(recipient, sub);
      const dm = await api(a.url, sender)('POST', '/dms', { userId: recipient.id });
      expect(dm.status).toBe(200);
      const sent = await api(b.url, sender)('POST', `/channels/${dm.body.id}/messages`, {
        body: 'are you there?',
      });
      expect(sent.status).toBe(201);
      await rx.waitFor(() => rx.delivered(sub).length === 1, 10_000, 'the DM push');
      expect(rx.delivered(sub)[0].payload).toMatchObject({
        kind: 'dm',
        channelId: dm.body.id,
        messageId: sent.body.id,
        seq: sent.body.seq,
        body: 'are you there?',
        url: `${PUBLIC_URL}/#/c/${dm.body.id}/m/${sent.body.seq}`,
      });
    });

    it('a replica stopping gracefully hands back the pushes it could not finish, for the next one to send', async () => {
      // Only one replica runs, so the push in flight is certainly its own.
      await Promise.all([stop(a), stop(b)]);
      const c = await startGateway(auth, env);
      extra.push(c);
      const user = await newUser(auth.url, 'quinn');
      const sub = rx.subscribe('hang');
      await subscribe(user, sub, c);
      const n = note(randomUUID(), 5, 'mention');
      await enqueue(c, [user.id], n);
      await rx.waitFor(() => rx.hanging === 1, 10_000, 'the push in flight');
      sub.fallback = 201;
      await stop(c);
      // Its send was cut at the stop and the row handed back, not left to its 30 s lease.
      expect(rx.hanging).toBe(0);
      const [row] = await outboxRows(sub);
      expect(row).toMatchObject({ locked_until: null, version: 1 });
      expect(new Date(row.next_attempt_at).getTime()).toBeLessThanOrEqual(Date.now());
      const d = await startGateway(auth, env);
      extra.push(d);
      await rx.waitFor(() => rx.delivered(sub).length === 1, 5_000, 'the push sent by the next replica');
      expect(rx.delivered(sub)[0].payload).toMatchObject({ messageId: n.messageId, seq: 5 });
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
