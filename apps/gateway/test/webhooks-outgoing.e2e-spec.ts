import type { Pool } from 'pg';
import { startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase, suitePool } from '../../../test/support/database';
import { describeWithRedis } from '../../../test/support/env';
import { api, loginAdmin, newUser, startGateway, type TestUser } from '../../../test/support/gateway';
import {
  signatureValid,
  WebhookReceiver,
  type ReceivedAttempt,
} from '../src/webhooks/outgoing/testing/webhook-receiver';

/**
 * Outgoing webhooks end to end: two gateway replicas on a database of this suite's own (their
 * delivery workers would otherwise also deliver other suites' webhooks, and theirs ours), a real
 * HTTP receiver on loopback, which WEBHOOK_ALLOWED_HOSTS permits here.
 */
const ADMIN_PASSWORD = 'admin-password-123';

describeWithRedis('outgoing webhooks', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Pool;
  let auth: Running & { jwksUrl: string };
  let a: Running;
  let b: Running;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let admin: TestUser;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    fresh = await freshDatabase();
    db = suitePool(fresh.url);
    // An admin from the start, so that none of the users below becomes the first, admin, account.
    const adminName = uniqueName('admin');
    auth = await startAuth({
      DATABASE_URL: fresh.url,
      ADMIN_USERNAME: adminName,
      ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    const env = { DATABASE_URL: fresh.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    [a, b] = await Promise.all([startGateway(auth, env), startGateway(auth, env)]);
    [owner, member, outsider] = await Promise.all(
      ['owner', 'member', 'outsider'].map((n) => newUser(auth.url, n)),
    );
  }, 60_000);

  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await Promise.all([a?.close(), b?.close()]);
    await auth?.close();
    await db?.end();
    await fresh?.drop();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.start();
    receivers.push(r);
    return r;
  }

  /** A private channel of the owner's with `member` in it. */
  async function channel(): Promise<string> {
    const res = await api(a.url, owner)('POST', '/channels', { name: uniqueName('hooks'), kind: 'private' });
    expect(res.status).toBe(201);
    const added = await api(a.url, owner)('POST', `/channels/${res.body.id}/members`, { userId: member.id });
    expect(added.status).toBe(200);
    return res.body.id;
  }

  /** An outgoing webhook created through the API, as a channel owner would. */
  async function webhook(
    channelId: string,
    url: string,
    events = ['message:new', 'message:updated', 'message:deleted'],
  ): Promise<{ id: string; secret: string }> {
    const res = await api(b.url, owner)('POST', `/channels/${channelId}/webhooks`, {
      name: 'ci',
      url,
      events,
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toEqual(expect.any(String));
    return { id: res.body.id, secret: res.body.secret };
  }

  async function post(via: Running, channelId: string, body: string, extra = {}) {
    const res = await api(via.url, member)('POST', `/channels/${channelId}/messages`, { body, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; seq: number };
  }

  const newSeqs = (attempts: ReceivedAttempt[]) =>
    attempts.filter((x) => x.event === 'message:new').map((x) => x.body.seq);

  const deliveries = (channelId: string, hookId: string, as: TestUser = owner, query = '') =>
    api(a.url, as)('GET', `/channels/${channelId}/webhooks/${hookId}/deliveries${query}`);

  /** The log once the receiver's answers are recorded (the record follows the answer). */
  async function settledLog(channelId: string, hookId: string, n: number): Promise<any[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const log = (await deliveries(channelId, hookId)).body.deliveries as { status: string }[];
      if (log.length >= n && log.every((d) => d.status !== 'pending')) return log;
      if (Date.now() > deadline) throw new Error(`log not settled: ${JSON.stringify(log)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('delivers every event once, in seq order across both replicas, signed and with a stable delivery id', async () => {
    const r = await receiver();
    const channelId = await channel();
    // Written before the webhook existed: not delivered.
    await post(a, channelId, 'before the webhook');
    const hook = await webhook(channelId, r.url);

    const sent: { id: string; seq: number }[] = [];
    for (let i = 1; i <= 6; i++) sent.push(await post(i % 2 ? a : b, channelId, `message ${i}`));
    const reply = await post(b, channelId, 'a reply in a thread', { threadId: sent[0].id });
    await r.until(() => newSeqs(r.accepted()).length === 7, 15_000, 'seven message:new');

    expect(
      (await api(b.url, member)('PATCH', `/messages/${sent[1].id}`, { body: 'message 2, edited' })).status,
    ).toBe(200);
    expect((await api(a.url, member)('DELETE', `/messages/${sent[2].id}`)).status).toBe(204);
    const last = await post(b, channelId, 'after the edit');
    await r.until(() => r.accepted().length === 10, 15_000, 'ten events');

    const got = r.accepted();
    expect(got.map((x) => [x.event, x.body.seq])).toEqual([
      ...sent.map((m) => ['message:new', m.seq]),
      ['message:new', reply.seq],
      ['message:updated', sent[1].seq],
      ['message:deleted', sent[2].seq],
      ['message:new', last.seq],
    ]);
    expect(sent[0].seq).toBe(2);
    for (const x of got) {
      expect(signatureValid(hook.secret, x)).toBe(true);
      expect(signatureValid('not the secret', x)).toBe(false);
      expect(x.deliveryId).toBe(x.body.deliveryId);
      expect(x.event).toBe(x.body.event);
      expect(x.body).toMatchObject({ webhookId: hook.id, channelId, sentAt: expect.any(String) });
    }
    expect(new Set(got.map((x) => x.deliveryId)).size).toBe(10);
    // Nothing was sent twice: every attempt was accepted.
    expect(r.attempts).toHaveLength(10);
    expect(got[0].body.message).toMatchObject({
      id: sent[0].id,
      body: 'message 1',
      author: { id: member.id },
    });
    expect(got[6].body.message).toMatchObject({
      id: reply.id,
      threadId: sent[0].id,
      body: 'a reply in a thread',
    });
    expect(got[7].body).toMatchObject({ messageId: sent[1].id, message: { body: 'message 2, edited' } });
    expect(got[8].body).toMatchObject({ messageId: sent[2].id, seq: sent[2].seq });
    expect(got[8].body.message).toBeUndefined();

    // The owner's delivery log: newest first, each delivered at the first attempt, same ids.
    const log = await settledLog(channelId, hook.id, 10);
    expect(log).toHaveLength(10);
    expect(log[0]).toMatchObject({
      id: got[9].deliveryId,
      event: 'message:new',
      seq: last.seq,
      status: 'delivered',
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      createdAt: expect.any(String),
      deliveredAt: expect.any(String),
    });
    expect(new Set(log.map((d: { id: string }) => d.id))).toEqual(new Set(got.map((x) => x.deliveryId)));
    expect((await deliveries(channelId, hook.id, owner, '?limit=3')).body.deliveries).toHaveLength(3);
  });

  it('delivers only the events a webhook subscribed to', async () => {
    const r = await receiver();
    const channelId = await channel();
    await webhook(channelId, r.url, ['message:deleted']);
    const m = await post(a, channelId, 'kept quiet');
    expect((await api(a.url, member)('PATCH', `/messages/${m.id}`, { body: 'still quiet' })).status).toBe(
      200,
    );
    expect((await api(b.url, member)('DELETE', `/messages/${m.id}`)).status).toBe(204);
    await r.until(() => r.accepted().length === 1, 10_000, 'the deletion');
    expect(r.accepted().map((x) => [x.event, x.body.messageId])).toEqual([['message:deleted', m.id]]);
  });

  it('keeps everything while the receiver fails or is down, retries with backoff, then delivers in order', async () => {
    const r = await receiver();
    const channelId = await channel();
    const hook = await webhook(channelId, r.url);
    r.mode = { kind: 'status', status: 500 };
    const first = [
      await post(a, channelId, 'one'),
      await post(b, channelId, 'two'),
      await post(a, channelId, 'three'),
    ];
    await r.until(() => r.attempts.length >= 3, 15_000, 'three failed attempts');
    const failing = r.attempts.slice(0, 3);
    // The queue waits on its head: the same event (same delivery id) is retried, nothing overtakes it.
    expect(failing.map((x) => [x.event, x.body.seq])).toEqual(Array(3).fill(['message:new', first[0].seq]));
    expect(new Set(failing.map((x) => x.deliveryId)).size).toBe(1);
    // Backoff: the second wait (drawn from 1–2 s) is at least the first's lower bound doubled.
    expect(failing[2].at - failing[1].at).toBeGreaterThanOrEqual(900);

    // The receiver answered the third attempt; the worker records it just after: wait for that.
    let head: { status: string; attempts: number; lastStatus: number | null; lastError: string | null };
    const recorded = Date.now() + 10_000;
    do {
      const pending = (await deliveries(channelId, hook.id)).body.deliveries;
      head = pending.find((d: { seq: number }) => d.seq === first[0].seq);
      if (head?.attempts >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < recorded);
    expect(head).toMatchObject({ status: 'pending', lastStatus: 500, lastError: 'HTTP 500' });
    expect(head.attempts).toBeGreaterThanOrEqual(3);

    // Now the receiver is gone altogether (connection refused), while more is written.
    await r.stop();
    const more = [await post(b, channelId, 'four'), await post(a, channelId, 'five')];
    // The owner sees why: the head is still pending, its last attempt refused at the TCP level.
    const deadline = Date.now() + 20_000;
    let whileDown: { status: string; lastStatus: number | null; lastError: string | null } | undefined;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      whileDown = (await deliveries(channelId, hook.id)).body.deliveries.find(
        (d: { seq: number }) => d.seq === first[0].seq,
      );
    } while (!/ECONNREFUSED/.test(whileDown?.lastError ?? '') && Date.now() < deadline);
    expect(whileDown).toMatchObject({
      status: 'pending',
      lastStatus: null,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });

    r.mode = { kind: 'ok' };
    await r.start();
    const all = [...first, ...more];
    await r.until(() => r.accepted().length === 5, 30_000, 'all five after the outage');
    expect(r.accepted().map((x) => x.body.seq)).toEqual(all.map((m) => m.seq));
    expect(r.accepted()[0].deliveryId).toBe(failing[0].deliveryId);
    for (const x of r.attempts) expect(signatureValid(hook.secret, x)).toBe(true);
    const log = await settledLog(channelId, hook.id, 5);
    expect(log.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    expect(log.find((d: { seq: number }) => d.seq === first[0].seq).attempts).toBeGreaterThan(3);
  });

  it('gives an event up once its retry window is over, marks it failed, and goes on with the next', async () => {
    const r = await receiver();
    const channelId = await channel();
    const hook = await webhook(channelId, r.url);
    const poison = await post(a, channelId, 'the receiver chokes on this one');
    r.answer = (body) => (body.messageId === poison.id ? 422 : undefined);
    await r.until(() => r.attempts.length >= 1, 10_000, 'a first attempt');
    const next = await post(b, channelId, 'fine');
    // As if the receiver had been refusing it for a day.
    await db.query(
      `UPDATE webhook_deliveries SET created_at = now() - interval '25 hours' WHERE webhook_id = $1 AND seq = $2`,
      [hook.id, poison.seq],
    );
    await r.until(() => r.accepted().length === 1, 15_000, 'the next event');
    expect(r.accepted()[0].body).toMatchObject({ event: 'message:new', seq: next.seq });
    const log = await settledLog(channelId, hook.id, 2);
    expect(log.find((d: { seq: number }) => d.seq === poison.seq)).toMatchObject({
      status: 'failed',
      lastStatus: 422,
      lastError: 'HTTP 422',
      deliveredAt: null,
    });
  });

  it('shows the delivery log to the channel owner, moderators and admins only', async () => {
    const r = await receiver();
    const channelId = await channel();
    const hook = await webhook(channelId, r.url);
    const denied = await deliveries(channelId, hook.id, member);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN', requestId: expect.any(String) });
    expect((await deliveries(channelId, hook.id, outsider)).status).toBe(404);
    const otherChannel = await channel();
    expect((await deliveries(otherChannel, hook.id)).status).toBe(404);
    expect((await deliveries(channelId, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const incoming = await api(a.url, owner)('POST', `/channels/${channelId}/webhooks`, { name: 'in' });
    expect(incoming.status).toBe(201);
    expect((await deliveries(channelId, incoming.body.id)).status).toBe(404);
    for (const q of ['?limit=0', '?limit=101', '?limit=abc']) {
      const bad = await deliveries(channelId, hook.id, owner, q);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION');
    }
    expect((await deliveries(channelId, hook.id)).body).toEqual({ deliveries: [] });
    expect((await deliveries(channelId, hook.id, admin)).body).toEqual({ deliveries: [] });
  });
});
