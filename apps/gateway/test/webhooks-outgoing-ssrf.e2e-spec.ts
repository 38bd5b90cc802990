import type { Pool } from 'pg';
import { startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { freshDatabase, suitePool } from '../../../test/support/database';
import { describeWithRedis } from '../../../test/support/env';
import { api, loginAdmin, newUser, startGateway, type TestUser } from '../../../test/support/gateway';
import { WebhookReceiver } from '../src/webhooks/outgoing/testing/webhook-receiver';

const ADMIN_PASSWORD = 'admin-password-123';

/**
 * No SSRF into the cluster: gateways without WEBHOOK_ALLOWED_HOSTS (as in production by default)
 * refuse internal targets when a webhook is created, and again when it is delivered, for a name
 * that resolves to loopback by then (DNS rebinding). A database of the suite's own, so no other
 * suite's gateway (which may allow loopback) delivers these webhooks.
 */
describeWithRedis('outgoing webhooks: internal targets refused', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Pool;
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let owner: TestUser;
  let channelId: string;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    fresh = await freshDatabase();
    db = suitePool(fresh.url);
    const adminName = uniqueName('admin');
    auth = await startAuth({ DATABASE_URL: fresh.url, ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    gw = await startGateway(auth, { DATABASE_URL: fresh.url, WEBHOOK_ALLOWED_HOSTS: '' });
    owner = await newUser(auth.url, 'owner');
    channelId = (await api(gw.url, owner)('POST', '/channels', { name: uniqueName('ssrf'), kind: 'public' }))
      .body.id;
    await receiver.start();
  }, 60_000);

  afterAll(async () => {
    await receiver.stop();
    await gw?.close();
    await auth?.close();
    await db?.end();
    await fresh?.drop();
  });

  const port = () => new URL(receiver.url).port;

  it.each([
    'http://127.0.0.1:{port}/hook',
    'http://127.1:{port}/hook',
    'http://0x7f.1:{port}/hook',
    'http://2130706433:{port}/hook',
    'http://017700000001:{port}/hook',
    'http://[::1]:{port}/hook',
    'http://[::ffff:127.0.0.1]:{port}/hook',
    'http://[::ffff:7f00:1]:{port}/hook',
    'http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/hook',
    'http://[64:ff9b::127.0.0.1]:{port}/hook',
    'http://0.0.0.0:{port}/hook',
    'http://localhost:{port}/hook',
    'http://10.0.0.1/hook',
    'http://172.16.5.4/hook',
    'http://192.168.1.1/hook',
    'http://100.64.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/hook',
    'http://[fd00::1]/hook',
    'ftp://example.com/hook',
    'file:///etc/passwd',
    'http://user:secret@example.com/hook',
    `https://example.com/${'x'.repeat(2100)}`,
  ])('refuses to create a webhook to %s with 400 VALIDATION', async (template) => {
    const url = template.replace('{port}', port());
    const res = await api(gw.url, owner)('POST', `/channels/${channelId}/webhooks`, {
      name: 'sneaky',
      url,
      events: ['message:new'],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    // Nothing was stored, and the message does not echo what the name resolved to.
    expect(res.body.message).not.toMatch(/127\.0\.0\.1|::1/);
    const list = await api(gw.url, owner)('GET', `/channels/${channelId}/webhooks`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain('sneaky');
  });

  it('refuses at delivery time a target that resolves to loopback by then, and keeps the event for later', async () => {
    // Rows as a create call would have left them when `localhost` (say, a rebinding name) still
    // resolved to a public address, and an IP literal stored before any check existed.
    const targets = [
      `http://localhost:${port()}/hook`,
      `http://127.0.0.1:${port()}/hook`,
      `http://127.1:${port()}/x`,
    ];
    const ids: string[] = [];
    for (const target of targets) {
      const [row] = (
        await db.query<{ id: string }>(
          `INSERT INTO webhooks (channel_id, name, kind, secret, target_url, events, created_by)
           VALUES ($1, 'rebound', 'outgoing', 'k', $2, '{message:new}', $3) RETURNING id`,
          [channelId, target, owner.id],
        )
      ).rows;
      ids.push(row.id);
    }
    const sent = await api(gw.url, owner)('POST', `/channels/${channelId}/messages`, {
      body: 'for nobody inside',
    });
    expect(sent.status).toBe(201);

    for (const id of ids) {
      const deadline = Date.now() + 10_000;
      let head: any;
      do {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const log = await api(gw.url, owner)('GET', `/channels/${channelId}/webhooks/${id}/deliveries`);
        expect(log.status).toBe(200);
        head = log.body.deliveries[0];
      } while ((!head || head.attempts < 1) && Date.now() < deadline);
      expect(head).toMatchObject({
        event: 'message:new',
        seq: sent.body.seq,
        status: 'pending',
        lastStatus: null,
      });
      expect(head.lastError).toMatch(/^refused: /);
    }
    expect(receiver.attempts).toHaveLength(0);
    // The service is unharmed.
    expect((await api(gw.url, owner)('GET', `/channels/${channelId}/messages`)).status).toBe(200);
  });
});
