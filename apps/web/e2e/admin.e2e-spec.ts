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
 * The admin console in the real product (built client, auth, gateway, Postgres, Redis) through
 * Chromium: an admin bans and unbans a member, who is signed out live in their own browser; the
 * ban is in the audit log; a moderator sees only people and channels; a member sees no console
 * and the console asks the server nothing for them; an archived channel stops taking messages.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

/** Names of this suite only: the browser suites of a run share one database. */
const ADMIN = 'keeper';
const ADMIN_PASSWORD = 'keeper admin password';
const MEMBER = 'nadia';
const MODERATOR = 'moritz';
const CHANNEL = 'atrium';
const password = 'correct horse battery';

/** The console's calls: none of them may leave a member's browser. */
const ADMIN_CALL = /\/auth\/(users|audit|bots|settings\/sign-in)|\/channels\/directory|\/hooks(\?|$)/;

const consoleHeading = (page: Page) => page.getByRole('heading', { name: 'Admin console', level: 1 });
const table = (page: Page, name: string) => page.getByRole('table', { name });
const rowOf = (page: Page, tableName: string, text: string) =>
  table(page, tableName).locator('tbody tr', { hasText: text });

async function signIn(page: Page, username: string, pass: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(pass);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function searchUser(page: Page, username: string): Promise<void> {
  await page.getByRole('tab', { name: 'Users' }).click();
  await page.getByLabel('Search users').fill(username);
  // Debounced: wait until the table shows that one person.
  await expectCount(table(page, 'Users').locator('tbody tr'), 1);
  await visible(rowOf(page, 'Users', username));
}

run('the admin console', () => {
  let world: World;
  let admin: Person;
  let member: Person;
  let moderator: Person | null = null;
  const memberAdminCalls: string[] = [];

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
  const tokenOf = async (username: string, pass: string) =>
    (await rest('POST', '/auth/login', null, { username, password: pass })).body?.accessToken as string;

  beforeAll(async () => {
    world = await startWorld({ ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
    admin = await person(world, { name: ADMIN });
    member = await person(world, { name: MEMBER });
    member.page.on('request', (r) => {
      if (ADMIN_CALL.test(new URL(r.url()).pathname + new URL(r.url()).search))
        memberAdminCalls.push(r.url());
    });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    expect([...admin.errors, ...member.errors, ...(moderator?.errors ?? [])]).toEqual([]);
  });

  it('sets up an admin with a channel and a member in it', async () => {
    await signIn(admin.page, ADMIN, ADMIN_PASSWORD);
    await visible(admin.page.getByRole('heading', { name: 'Channels' }));
    await admin.page.getByRole('button', { name: 'Create a channel' }).first().click();
    const dialog = admin.page.getByRole('dialog', { name: 'Create a channel' });
    await dialog.getByLabel('Name').fill(CHANNEL);
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await visible(admin.page.getByRole('heading', { name: CHANNEL, level: 1 }));

    await register(member.page, MEMBER, password);
    await visible(member.page.getByRole('heading', { name: 'Channels' }));
    await member.page.getByRole('button', { name: 'Browse channels' }).first().click();
    const browse = member.page.getByRole('dialog', { name: 'Browse channels' });
    await browse.getByLabel('Search public channels').fill(CHANNEL);
    await browse.getByRole('button', { name: `Join ${CHANNEL}` }).click();
    await visible(member.page.getByRole('heading', { name: CHANNEL, level: 1 }));

    const reg = await rest('POST', '/auth/register', null, { username: MODERATOR, password });
    expect(reg.status).toBe(201);
  });

  it('gives a member no entry, and #/admin says so without asking the server', async () => {
    const { page } = member;
    await expectCount(page.getByRole('link', { name: 'Admin console' }), 0);
    await page.goto('/#/admin');
    await visible(page.getByText("You don't have access to the admin console."));
    await visible(consoleHeading(page));
    await page.goto('/#/admin/audit');
    await visible(page.getByText("You don't have access to the admin console."));
    await expectCount(page.getByRole('tab', { name: 'Audit log' }), 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(memberAdminCalls).toEqual([]);
    // Hidden, and refused by the server all the same.
    const token = await tokenOf(MEMBER, password);
    const users = await rest('GET', '/auth/users', token);
    expect(users.status).toBe(403);
    expect(users.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    // Back to the chat for what follows.
    await page.goto('/');
    await visible(page.getByRole('heading', { name: CHANNEL, level: 1 }));
  });

  it('finds a member by search and bans them: their own browser is signed out live', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Admin console' }).click();
    await visible(consoleHeading(page));
    for (const tab of ['Users', 'Channels', 'Integrations', 'Audit log', 'Sign-in']) {
      await visible(page.getByRole('tab', { name: tab }));
    }
    await searchUser(page, MEMBER.slice(0, 3));
    const row = rowOf(page, 'Users', MEMBER);
    await visible(row.getByText('Active'));
    // The admin cannot ban themselves: no such button on their own row.
    await page.getByLabel('Search users').fill(ADMIN);
    await visible(rowOf(page, 'Users', ADMIN));
    await expectCount(page.getByRole('button', { name: `Ban ${ADMIN}` }), 0);
    await searchUser(page, MEMBER);

    await page.getByRole('button', { name: `Ban ${MEMBER}` }).click();
    const confirm = page.getByRole('dialog', { name: `Ban ${MEMBER}?` });
    await visible(confirm);
    await confirm.getByRole('button', { name: 'Ban', exact: true }).click();
    await gone(confirm);
    await visible(row.getByText('Banned'));
    await visible(page.getByRole('button', { name: `Unban ${MEMBER}` }));
    await shot(page, 'admin-01-banned');

    // Nadia did nothing: the server closed her socket and her session ended on her screen.
    await visible(member.page.getByRole('tab', { name: 'Sign in' }), 20_000);
    await visible(member.page.getByText('Your session has ended. Please sign in again.'));
    await shot(member.page, 'admin-02-member-signed-out');
    await signIn(member.page, MEMBER, password);
    await visible(member.page.getByRole('alert'));
    await expectCount(member.page.getByRole('heading', { name: 'Channels' }), 0);
  });

  it('shows the ban in the audit log, with the admin as actor', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByLabel('Action').selectOption({ label: 'User banned' });
    await page.getByLabel('Actor').fill(ADMIN);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const entry = rowOf(page, 'Audit log', 'User banned');
    await visible(entry);
    await expectCount(table(page, 'Audit log').locator('tbody tr'), 1);
    await visible(entry.getByRole('cell', { name: ADMIN, exact: true }));
    await visible(entry.getByText(MEMBER));
    // An actor nobody is called: said plainly, and the list is left as it was.
    await page.getByLabel('Actor').fill('nobody-by-that-name');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await visible(page.getByRole('alert').filter({ hasText: 'Nobody is called “nobody-by-that-name”.' }));
    await shot(page, 'admin-03-audit');
  });

  it('unbans, and the member signs in again', async () => {
    const { page } = admin;
    await searchUser(page, MEMBER);
    await page.getByRole('button', { name: `Unban ${MEMBER}` }).click();
    await visible(rowOf(page, 'Users', MEMBER).getByText('Active'));
    await visible(page.getByRole('button', { name: `Ban ${MEMBER}` }));

    await signIn(member.page, MEMBER, password);
    await visible(member.page.getByRole('heading', { name: CHANNEL, level: 1 }));
    await visible(composer(member.page));
  });

  it('makes a moderator, who sees Users and Channels only and cannot ban staff', async () => {
    const { page } = admin;
    await searchUser(page, MODERATOR);
    await page.getByRole('button', { name: `Change roles of ${MODERATOR}` }).click();
    const roles = page.getByRole('dialog', { name: `Roles of ${MODERATOR}` });
    await roles.getByRole('checkbox', { name: /Moderator/ }).check();
    await roles.getByRole('button', { name: 'Save roles' }).click();
    await gone(roles);
    await visible(rowOf(page, 'Users', MODERATOR).getByText('moderator, member'));

    moderator = await person(world, { name: MODERATOR });
    const mod = moderator.page;
    await signIn(mod, MODERATOR, password);
    await visible(mod.getByRole('heading', { name: 'Channels' }));
    await mod.getByRole('link', { name: 'Admin console' }).click();
    await visible(consoleHeading(mod));
    await visible(mod.getByRole('tab', { name: 'Users' }));
    await visible(mod.getByRole('tab', { name: 'Channels' }));
    for (const tab of ['Integrations', 'Audit log', 'Sign-in']) {
      await expectCount(mod.getByRole('tab', { name: tab }), 0);
    }
    // A link to the audit log opens what they may see instead.
    await mod.goto('/#/admin/audit');
    await visible(mod.getByRole('tab', { name: 'Users', selected: true }));
    await expectCount(mod.getByRole('table', { name: 'Audit log' }), 0);
    // Members can be banned by a moderator; the admin cannot.
    await searchUser(mod, MEMBER);
    await visible(mod.getByRole('button', { name: `Ban ${MEMBER}` }));
    await expectCount(mod.getByRole('button', { name: `Deactivate ${MEMBER}` }), 0);
    await expectCount(mod.getByRole('button', { name: `Change roles of ${MEMBER}` }), 0);
    await searchUser(mod, ADMIN);
    await expectCount(mod.getByRole('button', { name: `Ban ${ADMIN}` }), 0);
    await shot(mod, 'admin-04-moderator');
    // And the server refuses what the console does not offer.
    const token = await tokenOf(MODERATOR, password);
    expect((await rest('GET', '/auth/audit', token)).status).toBe(403);
    const adminId = (await rest('GET', `/auth/users?q=${ADMIN}`, token)).body?.users as { id: string }[];
    const ban = await rest('POST', `/auth/users/${adminId[0].id}/ban`, token);
    expect(ban.status).toBe(403);
    expect(ban.body).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('saves the sign-in settings and shows the result', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'Sign-in' }).click();
    const toggle = page.getByRole('switch', { name: 'Create accounts on first single sign-on' });
    await visible(toggle);
    const before = await toggle.isChecked();
    await toggle.setChecked(!before);
    await page.getByRole('button', { name: 'Save sign-in settings' }).click();
    await visible(page.getByRole('status').filter({ hasText: /^Saved\./ }));
    await page.reload();
    await visible(page.getByRole('tab', { name: 'Sign-in', selected: true }));
    expect(
      await page.getByRole('switch', { name: 'Create accounts on first single sign-on' }).isChecked(),
    ).toBe(!before);
    await page.getByRole('switch', { name: 'Create accounts on first single sign-on' }).setChecked(before);
    await page.getByRole('button', { name: 'Save sign-in settings' }).click();
    await visible(page.getByRole('status').filter({ hasText: /^Saved\./ }));
  });

  it('archives a channel: its member sees the banner in place of the composer', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'Channels' }).click();
    await page.getByLabel('Search channels').fill(CHANNEL);
    await expectCount(table(page, 'Channels').locator('tbody tr'), 1);
    const row = rowOf(page, 'Channels', CHANNEL);
    await visible(row.getByRole('cell', { name: ADMIN, exact: true }));
    await page.getByRole('button', { name: `Archive #${CHANNEL}` }).click();
    await visible(row.getByText('Archived'));
    await visible(page.getByRole('button', { name: `Unarchive #${CHANNEL}` }));
    await shot(page, 'admin-05-archived');

    // The member, who has the channel open, sees it turn read-only live (channel:updated).
    await visible(member.page.getByRole('heading', { name: CHANNEL, level: 1 }));
    await visible(member.page.getByRole('status').filter({ hasText: 'This channel is archived' }));
    await expectCount(composer(member.page), 0);
    await shot(member.page, 'admin-06-member-archived');
    // Archived is read-only on the server too.
    const token = await tokenOf(MEMBER, password);
    const mine = await rest('GET', '/channels', token);
    const channel = (mine.body as unknown as { id: string; name: string; archivedAt: string | null }[]).find(
      (c) => c.name === CHANNEL,
    );
    expect(channel?.archivedAt).toEqual(expect.any(String));
    const sent = await rest('POST', `/channels/${channel!.id}/messages`, token, { body: 'still here?' });
    expect(sent.status).toBeGreaterThanOrEqual(400);
  });
});
