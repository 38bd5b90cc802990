import { startAuth, testEnv, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase } from '../../../test/support/database';
import { describeWithRedis } from '../../../test/support/env';
import { api, loginAdmin, newUser, startGateway, type TestUser } from '../../../test/support/gateway';
import { signatureValid, WebhookReceiver } from '../src/webhooks/outgoing/testing/webhook-receiver';
import { spawnGateway, type GatewayProcess } from './fixtures/spawn-gateway';

const ADMIN_PASSWORD = 'admin-password-123';

/**
 * A replica is killed (SIGKILL) while it is delivering: the webhook's lease lapses, another replica
 * takes the queue over, and the receiver gets every event, in order, the interrupted one again under
 * the same X-Chat-Delivery id.
 */
describeWithRedis('outgoing webhooks: a replica dies mid-delivery', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let auth: Running & { jwksUrl: string };
  let doomed: GatewayProcess;
  /** Kept so that the process is killed even if the set-up times out before it listens. */
  let spawning: Promise<GatewayProcess> | undefined;
  let survivor: Running | undefined;
  let owner: TestUser;
  const receiver = new WebhookReceiver();
  let env: Record<string, string>;

  beforeAll(async () => {
    fresh = await freshDatabase();
    const adminName = uniqueName('admin');
    auth = await startAuth({ DATABASE_URL: fresh.url, ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    env = { AUTH_JWKS_URL: auth.jwksUrl, DATABASE_URL: fresh.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    spawning = spawnGateway(testEnv({ ...env, LOG_LEVEL: 'silent' }));
    doomed = await spawning;
    owner = await newUser(auth.url, 'owner');
    await receiver.start();
  }, 120_000);

  afterAll(async () => {
    (await spawning?.catch(() => undefined))?.child.kill('SIGKILL');
    await receiver.stop();
    await survivor?.close();
    await auth?.close();
    await fresh?.drop();
  }, 60_000);

  it('delivers at least once and in order; a repeat carries the same delivery id', async () => {
    const channelId = (
      await api(doomed.url, owner)('POST', '/channels', { name: uniqueName('crash'), kind: 'public' })
    ).body.id;
    const created = await api(doomed.url, owner)('POST', `/channels/${channelId}/webhooks`, {
      name: 'ci',
      url: receiver.url,
      events: ['message:new'],
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;

    // The receiver sits on the third message's first delivery, so the doomed replica (the only one
    // running) is in the middle of it when it dies.
    let held = false;
    receiver.mode = { kind: 'hold' };
    receiver.answer = (body) => {
      if (body.seq !== 3 || held) return 200;
      held = true;
      return undefined;
    };
    const post = async (via: string, body: string) => {
      const res = await api(via, owner)('POST', `/channels/${channelId}/messages`, { body });
      expect(res.status).toBe(201);
      return res.body.seq as number;
    };
    for (let i = 1; i <= 5; i++) await post(doomed.url, `before ${i}`);
    await receiver.until(() => held, 15_000, 'the held delivery');
    const interrupted = receiver.attempts.find((x) => x.body.seq === 3)!;

    survivor = await startGateway(auth, env);
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));
    for (let i = 6; i <= 7; i++) await post(survivor.url, `after ${i}`);

    // The doomed replica's lease lapses (15 s) before the survivor may take the queue over.
    await receiver.until(() => receiver.accepted().length === 7, 40_000, 'all seven messages');
    const accepted = receiver.accepted();
    expect(accepted.map((x) => x.body.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(accepted.map((x) => x.body.message?.body)).toEqual([
      'before 1',
      'before 2',
      'before 3',
      'before 4',
      'before 5',
      'after 6',
      'after 7',
    ]);
    // Every attempt of one event carries one id, and no two events share one.
    const idsBySeq = new Map<number, Set<string>>();
    for (const x of receiver.attempts) {
      expect(signatureValid(secret, x)).toBe(true);
      idsBySeq.set(x.body.seq, (idsBySeq.get(x.body.seq) ?? new Set()).add(x.deliveryId));
    }
    for (const ids of idsBySeq.values()) expect(ids.size).toBe(1);
    expect(new Set(accepted.map((x) => x.deliveryId)).size).toBe(7);
    expect(accepted[2].deliveryId).toBe(interrupted.deliveryId);
    expect(receiver.attempts.filter((x) => x.body.seq === 3).length).toBeGreaterThanOrEqual(2);

    const deadline = Date.now() + 10_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const log = await api(survivor.url, owner)(
        'GET',
        `/channels/${channelId}/webhooks/${created.body.id}/deliveries`,
      );
      statuses = log.body.deliveries.map((d: { status: string }) => d.status);
      if (statuses.length === 7 && statuses.every((s) => s === 'delivered')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(statuses).toEqual(Array(7).fill('delivered'));
  }, 90_000);
});
