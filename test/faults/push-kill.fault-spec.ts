import { generateVAPIDKeys } from 'web-push';
import { request } from '../support/apps';
import { startPushReceiver, type PushReceiver, type TestSubscription } from '../support/push-receiver';
import { sleep, waitFor, writeFigures } from './support/servers';
import { register, startFaultStack, type FaultStack, type User } from './support/stack';

/**
 * kill -9 of a gateway while it holds Web Push deliveries: the push service hangs, so every queued
 * push is leased and in flight when the replica dies. What a user must not notice: a notification
 * that never arrives, or one that arrives twice. The killed replica's leases lapse (30 s) and
 * another replica, the survivor or the restarted one, sends them; the survivor's own hung sends
 * time out and are retried. "Delivered" is what the push service answered 201 to: a request left
 * hanging was never accepted, so a push service would not have delivered it.
 */
describe('fault: a gateway is killed (SIGKILL) holding Web Push deliveries', () => {
  const SENDERS = 8;
  let fs: FaultStack;
  let rx: PushReceiver;

  beforeAll(async () => {
    rx = await startPushReceiver();
    const vapid = generateVAPIDKeys();
    fs = await startFaultStack({
      gateways: 2,
      env: {
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:ops@example.com',
        PUBLIC_URL: 'https://chat.example.com',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await fs?.stop();
    await rx?.close();
  });

  it('delivers every queued push exactly once after the replica holding them dies', async () => {
    const [, victim] = fs.stack.gateways;
    const recipient = await register(fs.url, 'away');
    // Two devices of someone with no socket connected, whose push service hangs.
    const devices: TestSubscription[] = [rx.subscribe('hang'), rx.subscribe('hang')];
    for (const d of devices) {
      const res = await request(fs.url, 'POST', '/push/subscriptions', {
        token: recipient.token,
        body: d.json,
      });
      expect(res.status).toBe(201);
    }
    const senders: User[] = [];
    for (let i = 0; i < SENDERS; i++) senders.push(await register(fs.url, 'dm'));

    // One DM from each sender, through the victim: its worker is woken by each and claims first.
    const sent: { channelId: string; messageId: string; seq: number }[] = [];
    for (const s of senders) {
      const dm = await request(victim.url, 'POST', '/dms', {
        token: s.token,
        body: { userId: recipient.id },
      });
      expect(dm.status).toBe(200);
      const msg = await request(victim.url, 'POST', `/channels/${dm.body.id}/messages`, {
        token: s.token,
        body: { body: `ping from ${s.username}` },
      });
      expect(msg.status).toBe(201);
      sent.push({ channelId: dm.body.id, messageId: msg.body.id, seq: msg.body.seq });
    }
    const expected = SENDERS * devices.length;
    await rx.waitFor(() => rx.hanging === expected, 20_000, 'every push in flight');
    const queued = await fs.db.query(`SELECT count(*)::int AS n FROM push_outbox WHERE locked_until > now()`);
    expect(queued.rows[0].n).toBe(expected);

    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    await rx.waitFor(() => rx.hanging < expected, 5000, "the victim's connections to close");
    await sleep(200);
    const heldByVictim = expected - rx.hanging;
    expect(heldByVictim).toBeGreaterThan(0);

    // The push service recovers; a replacement replica starts, as an orchestrator would.
    for (const d of devices) d.fallback = 201;
    await fs.stack.addGateway();
    const deliveredAfterMs = await waitFor(
      () => devices.every((d) => rx.delivered(d).length >= SENDERS),
      120_000,
      'every push delivered',
      200,
    );
    const allDeliveredAfterKillMs = Date.now() - killedAt;
    // Anything sent twice would arrive within the next poll or retry.
    await sleep(8000);

    for (const d of devices) {
      const got = rx.delivered(d).map((r) => r.payload);
      expect(got.map((p) => p.messageId).sort()).toEqual(sent.map((m) => m.messageId).sort());
      for (const p of got) {
        const m = sent.find((x) => x.messageId === p.messageId)!;
        expect(p).toMatchObject({ kind: 'dm', channelId: m.channelId, seq: m.seq });
      }
    }
    expect(rx.received.filter((r) => r.error)).toEqual([]);
    const left = await fs.db.query(`SELECT count(*)::int AS n FROM push_outbox`);
    expect(left.rows[0].n).toBe(0);

    writeFigures('push-kill', {
      setup: { gateways: 2, queuedPushes: expected, devices: devices.length },
      heldByVictim,
      requests: rx.received.length,
      delivered: devices.reduce((n, d) => n + rx.delivered(d).length, 0),
      allDeliveredAfterKillMs,
      deliveredAfterRestartMs: deliveredAfterMs,
    });
  });
});
