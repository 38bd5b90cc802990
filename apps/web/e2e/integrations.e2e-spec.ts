import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import {
  browserSuiteAvailable,
  composer,
  expectCount,
  gone,
  person,
  type Person,
  register,
  shot,
  startWorld,
  visible,
  type World,
} from './support';

/**
 * Bots and webhooks in the real product (built client, auth, gateway, Postgres, Redis) through
 * Chromium: a channel owner manages its webhooks from the header, a member does not see that,
 * and what bots and webhooks post is marked BOT for everyone.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

const timeline = (page: Page) => page.locator('.messages .message-list');
const message = (page: Page, text: string) => timeline(page).locator('li.msg', { hasText: text });
const integrations = (page: Page) => page.getByRole('dialog', { name: /^Integrations of #relay/ });
const membersOf = (page: Page) => page.getByRole('complementary', { name: 'Members of #relay' });

/** Names of this suite only: the browser suites of a run share one database. */
const OWNER = 'olga';
const MEMBER = 'pavel';
const ADMIN = 'warden';
const BOT = 'heraldbot';
const CHANNEL = 'relay';
const ADMIN_PASSWORD = 'warden admin password';

run('the web client, bots and webhooks', () => {
  let world: World;
  let owner: Person;
  let member: Person;
  let hookUrl = '';
  const password = 'correct horse battery';

  const rest = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${world.stack.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  beforeAll(async () => {
    // An admin of its own (created at boot) to create a bot; and no allowlist for webhook targets,
    // as in production, so internal URLs are refused.
    world = await startWorld({ ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD, WEBHOOK_ALLOWED_HOSTS: '' });
    owner = await person(world, { name: OWNER });
    member = await person(world, { name: MEMBER });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    expect([...owner.errors, ...member.errors]).toEqual([]);
  });

  it('sets up an owner and a member in one channel', async () => {
    await register(owner.page, OWNER, password);
    await visible(owner.page.getByRole('heading', { name: 'Channels' }));
    await owner.page.getByRole('button', { name: 'Create a channel' }).first().click();
    const dialog = owner.page.getByRole('dialog', { name: 'Create a channel' });
    await dialog.getByLabel('Name').fill(CHANNEL);
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await visible(owner.page.getByRole('heading', { name: CHANNEL, level: 1 }));

    await register(member.page, MEMBER, password);
    await visible(member.page.getByRole('heading', { name: 'Channels' }));
    await member.page.getByRole('button', { name: 'Browse channels' }).first().click();
    const browse = member.page.getByRole('dialog', { name: 'Browse channels' });
    await browse.getByLabel('Search public channels').fill(CHANNEL);
    await browse.getByRole('button', { name: `Join ${CHANNEL}` }).click();
    await visible(member.page.getByRole('heading', { name: CHANNEL, level: 1 }));
    await visible(membersOf(owner.page).locator('li', { hasText: MEMBER }));
  });

  it('shows Integrations to the owner only', async () => {
    await visible(owner.page.getByRole('button', { name: 'Integrations' }));
    // The member's list has loaded (it names the owner), and still no Integrations for them.
    await visible(membersOf(member.page).locator('li', { hasText: OWNER }));
    await expectCount(member.page.getByRole('button', { name: 'Integrations' }), 0);
    // Hidden, and refused by the server all the same.
    const login = await rest('POST', '/auth/login', null, { username: MEMBER, password });
    const token = login.body?.accessToken as string;
    const found = await rest('GET', `/channels/public?q=${CHANNEL}`, token);
    const relay = (found.body as unknown as { id: string; name: string }[]).find((c) => c.name === CHANNEL);
    const listed = await rest('GET', `/channels/${relay!.id}/webhooks`, token);
    expect(listed.status).toBe(403);
    expect(listed.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
  });

  it('creates an incoming webhook whose URL is shown once and posts as a BOT, live', async () => {
    const { page } = owner;
    await page.getByRole('button', { name: 'Integrations' }).click();
    const panel = integrations(page);
    await visible(panel.getByText('This channel has no webhooks yet.'));
    await panel.getByRole('button', { name: 'New incoming webhook' }).click();
    const form = page.getByRole('dialog', { name: 'New incoming webhook' });
    // Hostile first: no name.
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await visible(form.getByRole('alert').filter({ hasText: 'Give the webhook a name.' }));
    await form.getByLabel('Name').fill('Deploys');
    await form.getByRole('button', { name: 'Create webhook' }).click();

    const created = page.getByRole('dialog', { name: 'Webhook created' });
    const urlField = created.getByLabel('Webhook URL');
    await visible(urlField);
    hookUrl = await urlField.inputValue();
    expect(hookUrl).toMatch(/\/hooks\/[^/]+\/[^/]+$/);
    await visible(created.getByText("you won't see this again", { exact: false }));
    await visible(created.locator('.curl-example', { hasText: `curl -sX POST '${hookUrl}'` }));
    await visible(created.getByRole('button', { name: 'Copy' }));
    await shot(page, 'int-01-incoming-created');
    await created.getByRole('button', { name: 'Done' }).click();

    // Back in the list: its name and kind, and the URL nowhere any more.
    const list = integrations(page).getByRole('list', { name: 'Webhooks' });
    await visible(list.locator('li', { hasText: 'Deploys' }).getByText(/^Incoming · created/));
    await expectCount(integrations(page).getByLabel('Webhook URL'), 0);
    await integrations(page).getByRole('button', { name: 'Close' }).click();
    await gone(integrations(page));

    // A script posts with nothing but the URL.
    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Deploy of v9.1 finished' }),
    });
    expect(res.status).toBe(201);
    for (const p of [owner.page, member.page]) {
      const seen = message(p, 'Deploy of v9.1 finished');
      await visible(seen);
      await visible(seen.locator('.bot-badge', { hasText: 'BOT' }));
    }
    // Its account joined the channel as a member, marked BOT in the list too.
    await visible(
      membersOf(member.page)
        .locator('li', { hasText: /deploys/i })
        .locator('.bot-badge'),
    );
    // People are not marked.
    await expectCount(membersOf(member.page).locator('li', { hasText: OWNER }).locator('.bot-badge'), 0);
    await shot(member.page, 'int-02-webhook-message');
  });

  it('refuses an outgoing webhook to an internal address, in words', async () => {
    const { page } = owner;
    await page.getByRole('button', { name: 'Integrations' }).click();
    await integrations(page).getByRole('button', { name: 'New outgoing webhook' }).click();
    const form = page.getByRole('dialog', { name: 'New outgoing webhook' });
    await form.getByLabel('Name').fill('Archive');
    await form.getByLabel('URL to deliver to').fill('http://127.0.0.1:9/');
    for (const ev of ['message:new', 'message:updated', 'message:deleted']) {
      await form.getByRole('checkbox', { name: ev }).uncheck();
    }
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await visible(form.getByRole('alert').filter({ hasText: 'Pick at least one event.' }));
    await form.getByRole('checkbox', { name: 'message:new' }).check();
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await visible(
      form
        .getByRole('alert')
        .filter({ hasText: /^Not created: The URL must not point to a loopback, private/ }),
    );
    await visible(form.getByLabel('URL to deliver to').and(page.locator('[aria-invalid="true"]')));
    await shot(page, 'int-03-outgoing-refused');
    // Not a scheme the server delivers to, either.
    await form.getByLabel('URL to deliver to').fill('ftp://files.example.com/drop');
    await form.getByRole('button', { name: 'Create webhook' }).click();
    await visible(form.getByRole('alert').filter({ hasText: /^Not created: .*http/ }));
    await form.getByRole('button', { name: 'Cancel' }).click();
    // Nothing was created.
    await visible(integrations(page).getByRole('list', { name: 'Webhooks' }));
    await expectCount(integrations(page).getByRole('list', { name: 'Webhooks' }).locator('li'), 1);
    await integrations(page).getByRole('button', { name: 'Close' }).click();
    await gone(integrations(page));
  });

  it('creates an outgoing webhook to a public address: the secret once, then its deliveries', async () => {
    const { page } = owner;
    await page.getByRole('button', { name: 'Integrations' }).click();
    await integrations(page).getByRole('button', { name: 'New outgoing webhook' }).click();
    const form = page.getByRole('dialog', { name: 'New outgoing webhook' });
    await form.getByLabel('Name').fill('Audit feed');
    // A public address literal: accepted without a DNS lookup. Nothing is posted in the channel
    // while it exists, so nothing is ever sent there.
    await form.getByLabel('URL to deliver to').fill('https://93.184.215.14/chat-events');
    await form.getByRole('checkbox', { name: 'message:deleted' }).uncheck();
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const created = page.getByRole('dialog', { name: 'Webhook created' });
    const secret = created.getByLabel('Signing secret');
    await visible(secret);
    expect((await secret.inputValue()).length).toBeGreaterThan(20);
    await visible(created.getByText("you won't see this again", { exact: false }));
    await expectCount(created.locator('.curl-example'), 0);
    await created.getByRole('button', { name: 'Done' }).click();

    const row = integrations(page)
      .getByRole('list', { name: 'Webhooks' })
      .locator('li', { hasText: 'Audit feed' });
    await visible(row.getByText('Outgoing to https://93.184.215.14/chat-events', { exact: false }));
    await row.getByRole('button', { name: 'Deliveries of Audit feed' }).click();
    const deliveries = page.getByRole('dialog', { name: '“Audit feed”', exact: false });
    await visible(deliveries.getByText('message:new, message:updated', { exact: false }));
    await visible(deliveries.getByText('Nothing delivered yet', { exact: false }));
    await deliveries.getByRole('button', { name: 'Refresh' }).click();
    await visible(deliveries.getByText('Nothing delivered yet', { exact: false }));
    await shot(page, 'int-04-deliveries');
    await deliveries.getByRole('button', { name: 'Back to webhooks' }).click();

    // Deleted with a confirmation, before anything is posted.
    const again = integrations(page)
      .getByRole('list', { name: 'Webhooks' })
      .locator('li', { hasText: 'Audit feed' });
    await again.getByRole('button', { name: 'Delete Audit feed' }).click();
    await again.getByRole('button', { name: 'Delete webhook' }).click();
    await gone(integrations(page).getByText('Audit feed'));
    await integrations(page).getByRole('button', { name: 'Close' }).click();
    await gone(integrations(page));
  });

  it('marks a bot account BOT, in its messages and in the member list', async () => {
    const login = await rest('POST', '/auth/login', null, { username: ADMIN, password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    const adminToken = login.body?.accessToken as string;
    const bot = await rest('POST', '/auth/bots', adminToken, { username: BOT });
    expect(bot.status).toBe(201);
    const botToken = bot.body?.token as string;
    // Only an admin may create one.
    const ownerLogin = await rest('POST', '/auth/login', null, { username: OWNER, password });
    const refused = await rest('POST', '/auth/bots', ownerLogin.body?.accessToken as string, {
      username: 'sneakybot',
    });
    expect(refused.status).toBe(403);

    const found = await rest('GET', `/channels/public?q=${CHANNEL}`, botToken);
    const relay = (found.body as unknown as { id: string; name: string }[]).find((c) => c.name === CHANNEL);
    expect(relay).toBeDefined();
    expect((await rest('POST', `/channels/${relay!.id}/join`, botToken)).status).toBe(200);
    const sent = await rest('POST', `/channels/${relay!.id}/messages`, botToken, {
      body: 'Nightly backup verified',
    });
    expect(sent.status).toBe(201);
    expect((sent.body?.author as { bot: boolean }).bot).toBe(true);

    for (const p of [owner.page, member.page]) {
      await visible(message(p, 'Nightly backup verified').locator('.bot-badge', { hasText: 'BOT' }));
      await visible(membersOf(p).locator('li', { hasText: BOT }).locator('.bot-badge'));
    }
    await shot(owner.page, 'int-05-bot');
  });

  it('deletes the incoming webhook after a confirmation; its URL then answers 404', async () => {
    const { page } = owner;
    await page.getByRole('button', { name: 'Integrations' }).click();
    const row = integrations(page)
      .getByRole('list', { name: 'Webhooks' })
      .locator('li', { hasText: 'Deploys' });
    await row.getByRole('button', { name: 'Delete Deploys' }).click();
    await visible(row.getByText('Its URL stops working at once.'));
    // Changing one's mind keeps it.
    await row.getByRole('button', { name: 'Keep it' }).click();
    await visible(row.getByRole('button', { name: 'Delete Deploys' }));
    await row.getByRole('button', { name: 'Delete Deploys' }).click();
    await row.getByRole('button', { name: 'Delete webhook' }).click();
    await visible(integrations(page).getByText('This channel has no webhooks yet.'));

    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Anyone there?' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    // What it posted before stays.
    await visible(message(member.page, 'Deploy of v9.1 finished'));
    await expectCount(message(member.page, 'Anyone there?'), 0);
  });
});

/**
 * An outgoing webhook's deliveries as its owner sees them. A stack of its own whose operator allows
 * 127.0.0.1 (WEBHOOK_ALLOWED_HOSTS), so a receiver in this process can refuse, then accept.
 */
run('the web client, outgoing webhook deliveries', () => {
  let world: World;
  let owner: Person;
  let receiver: Server;
  let receiverUrl = '';
  let accepting = false;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(accepting ? 200 : 503).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/chat-events`;
    world = await startWorld({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    owner = await person(world, { name: 'quinn' });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  afterEach(() => {
    expect(owner.errors).toEqual([]);
  });

  /** Clicks Refresh until the deliveries table shows `text` (the worker retries with backoff). */
  async function refreshUntil(page: Page, text: RegExp): Promise<void> {
    const dialog = page.getByRole('dialog', { name: 'Deliveries of “Ledger feed”' });
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      await dialog.getByRole('button', { name: 'Refresh' }).click();
      await visible(dialog.getByRole('button', { name: 'Refresh' }).and(page.locator(':enabled')));
      if ((await dialog.getByRole('table').getByRole('row', { name: text }).count()) > 0) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    await visible(dialog.getByRole('table').getByRole('row', { name: text }), 1);
  }

  it('shows a failing delivery with its answer, then the same one delivered', async () => {
    const { page } = owner;
    await register(page, 'quinn', 'correct horse battery');
    await visible(page.getByRole('heading', { name: 'Channels' }));
    await page.getByRole('button', { name: 'Create a channel' }).first().click();
    const create = page.getByRole('dialog', { name: 'Create a channel' });
    await create.getByLabel('Name').fill('ledger');
    await create.getByRole('button', { name: 'Create channel' }).click();
    await visible(page.getByRole('heading', { name: 'ledger', level: 1 }));

    await page.getByRole('button', { name: 'Integrations' }).click();
    await page.getByRole('button', { name: 'New outgoing webhook' }).click();
    const form = page.getByRole('dialog', { name: 'New outgoing webhook' });
    await form.getByLabel('Name').fill('Ledger feed');
    await form.getByLabel('URL to deliver to').fill(receiverUrl);
    await form.getByRole('button', { name: 'Create webhook' }).click();
    const created = page.getByRole('dialog', { name: 'Webhook created' });
    await visible(created.getByLabel('Signing secret'));
    await created.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Deliveries of Ledger feed' }).click();
    await visible(page.getByText('Nothing delivered yet', { exact: false }));
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await gone(page.getByRole('dialog'));

    // A message while the receiver answers 503: pending, retried, its last answer shown.
    await composer(page).fill('Invoice 4711 paid');
    await composer(page).press('Enter');
    await visible(page.locator('.messages .message-list li.msg', { hasText: 'Invoice 4711 paid' }));
    await page.getByRole('button', { name: 'Integrations' }).click();
    await page.getByRole('button', { name: 'Deliveries of Ledger feed' }).click();
    await refreshUntil(page, /^Pending message:new 1 [1-9]\d* HTTP 503/);
    await shot(page, 'int-06-delivery-failing');
    expect(received.some((b) => b.includes('Invoice 4711 paid'))).toBe(true);

    accepting = true;
    await refreshUntil(page, /^Delivered message:new 1 [2-9]\d* HTTP 200/);
    await shot(page, 'int-07-delivery-delivered');
  });
});
