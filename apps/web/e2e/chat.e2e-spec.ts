import sharp from 'sharp';
import {
  browserSuiteAvailable,
  composer,
  dropSockets,
  expectCount,
  gone,
  messages,
  person,
  type Person,
  register,
  shot,
  startWorld,
  visible,
  type World,
} from './support';

/**
 * Two people using the real product (built client, auth, gateway, media, Postgres, S3) through
 * Chromium: what each of them sees on screen.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

run('the web client, two people chatting', () => {
  let world: World;
  let alice: Person;
  let bob: Person;
  const password = 'correct horse battery';

  beforeAll(async () => {
    world = await startWorld();
    alice = await person(world, { name: 'alice' });
    bob = await person(world, { name: 'bob' });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    // No CSP violation, no uncaught exception, in either browser.
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it('registers, with clear errors for a taken name and a wrong password', async () => {
    const { page } = alice;
    await page.goto('/');
    await visible(page.getByRole('tab', { name: 'Sign in' }));
    await page.getByLabel('Username').fill('al');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('tab', { name: 'Create account' }).click();
    await page.getByLabel('Username').fill('al');
    await page.getByRole('button', { name: 'Create account' }).click();
    await visible(page.getByText('Usernames are 3–32 characters long.'));
    await shot(page, '01-register-validation');

    await register(page, 'alice', password);
    await visible(page.getByRole('heading', { name: 'Channels' }));

    // Bob first picks a taken name, then gets the password of an existing account wrong.
    await register(bob.page, 'Alice', password);
    await visible(bob.page.getByText('The username “Alice” is taken. Try another one.'));
    await bob.page.getByRole('tab', { name: 'Sign in' }).click();
    await bob.page.getByLabel('Username').fill('alice');
    await bob.page.getByLabel('Password').fill('not the password');
    await bob.page.getByRole('button', { name: 'Sign in' }).click();
    await visible(bob.page.getByText('Wrong username or password.'));
    await shot(bob.page, '02-login-error');
    // Guessing a password: after a few tries the form says when to try again, and waits.
    await bob.page.getByLabel('Username').fill('mallory');
    for (let i = 0; i < 10; i++) {
      await bob.page.getByLabel('Password').fill(`guess number ${i}`);
      const [answer] = await Promise.all([
        bob.page.waitForResponse((r) => r.url().endsWith('/auth/login')),
        bob.page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      if (answer.status() === 429) break;
    }
    await visible(bob.page.getByText(/^Too many attempts\. Try again in \d+ (min|s)/));
    await expectCount(
      bob.page.getByRole('button', { name: 'Sign in' }).and(bob.page.locator(':disabled')),
      1,
    );
    await register(bob.page, 'bob', password);
    await visible(bob.page.getByRole('heading', { name: 'Channels' }));
  });

  it('creates a private channel and invites someone, who sees it appear', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: 'Create a channel' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a channel' });
    await dialog.getByLabel('Name').fill('design');
    await dialog.getByLabel('Topic').fill('Mockups, reviews and pixel pushing');
    await dialog.getByLabel(/Private/).check();
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await visible(page.getByRole('heading', { name: 'design', level: 1 }));

    await page.getByRole('button', { name: 'Add people' }).click();
    await page.getByLabel('Add people to #design').fill('bo');
    await page.getByRole('button', { name: 'Add bob' }).click();
    const members = page.getByRole('complementary', { name: 'Members of #design' });
    await visible(members.getByText('bob'));

    // Bob never reloaded: the channel arrives live.
    await bob.page.getByRole('link', { name: /^design channel, private/ }).click();
    await visible(bob.page.getByRole('heading', { name: 'design', level: 1 }));
  });

  it('chats both ways in real time, with typing and presence', async () => {
    await composer(alice.page).fill('Hello Bob! Welcome to the design channel.');
    await composer(alice.page).press('Enter');
    await visible(messages(bob.page).getByText('Hello Bob! Welcome to the design channel.'));

    // Typing: bob types without sending; alice is told.
    await composer(bob.page).pressSequentially('Thanks, glad', { delay: 30 });
    await visible(alice.page.getByText('bob is typing…'));
    await composer(bob.page).pressSequentially(' to be here', { delay: 10 });
    await composer(bob.page).press('Shift+Enter');
    await composer(bob.page).pressSequentially('Second line.');
    await composer(bob.page).press('Enter');
    await visible(messages(alice.page).getByText(/Thanks, glad to be here\s+Second line\./));
    await gone(alice.page.getByText('bob is typing…'));

    // Presence: alice's member list shows bob online.
    const members = alice.page.getByRole('complementary', { name: 'Members of #design' });
    await visible(members.getByText(', online', { exact: false }).first());
    await visible(members.locator('li', { hasText: 'bob' }).getByText(', online'));
    await shot(alice.page, '03-conversation-desktop');
  });

  it('re-renders the message list for new messages, not for typing or presence', async () => {
    // The app counts renders into window.__renderCounts once a test creates it (ui/render-count.ts).
    type Counted = { __renderCounts?: Record<string, number> };
    const renders = () =>
      alice.page.evaluate(() => (window as unknown as Counted).__renderCounts?.MessageList ?? 0);
    const members = alice.page.getByRole('complementary', { name: 'Members of #design' });
    const bobIs = (state: 'online' | 'offline') =>
      members.locator('li', { hasText: 'bob' }).getByText(`, ${state}`);
    await visible(bobIs('online'));
    await alice.page.evaluate(() => {
      (window as unknown as Counted).__renderCounts = {};
    });

    // Bob types, then empties the box: alice sees him typing, then no longer.
    await composer(bob.page).pressSequentially('Just a moment', { delay: 30 });
    await visible(alice.page.getByText('bob is typing…'));
    await composer(bob.page).fill('');
    await gone(alice.page.getByText('bob is typing…'));
    // Bob drops off the network and comes back: alice sees him go offline, then online.
    await bob.context.setOffline(true);
    try {
      await dropSockets(bob.page);
      await visible(bobIs('offline'), 30_000);
    } finally {
      await bob.context.setOffline(false);
    }
    await visible(bobIs('online'), 30_000);
    expect(await renders()).toBe(0);

    // A new message is what the list is for.
    await composer(bob.page).fill('Back at my desk');
    await composer(bob.page).press('Enter');
    await visible(messages(alice.page).getByText('Back at my desk'));
    expect(await renders()).toBeGreaterThan(0);
  });

  it('edits and deletes a message, and the other side sees both', async () => {
    const { page } = alice;
    await composer(page).fill('This has a tpyo');
    await composer(page).press('Enter');
    await visible(messages(bob.page).getByText('This has a tpyo'));

    const mine = messages(page).locator('li.msg', { hasText: 'This has a tpyo' });
    const actions = mine.getByRole('button', { name: 'Actions for your message' });
    // The menu is keyboard-driven too: it opens with focus inside, and Escape closes it.
    await actions.click();
    await visible(page.getByRole('menu', { name: 'Message actions' }));
    await page.keyboard.press('Escape');
    await gone(page.getByRole('menu', { name: 'Message actions' }));
    await actions.click();
    await page.getByRole('menuitem', { name: 'Edit' }).click();
    const box = page.getByRole('textbox', { name: 'Edit message' });
    await box.fill('This had a typo');
    await box.press('Enter');
    await visible(messages(bob.page).getByText('This had a typo'));
    await visible(messages(bob.page).locator('li.msg', { hasText: 'This had a typo' }).getByText('(edited)'));

    await composer(page).fill('Oops, wrong channel');
    await composer(page).press('Enter');
    await visible(messages(bob.page).getByText('Oops, wrong channel'));
    const oops = messages(page).locator('li.msg', { hasText: 'Oops, wrong channel' });
    await oops.getByRole('button', { name: 'Actions for your message' }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    await page.getByRole('menuitem', { name: 'Delete', exact: true }).click();
    await gone(messages(bob.page).getByText('Oops, wrong channel'));
    await visible(messages(bob.page).getByText('This message was deleted.'));
    await expectCount(messages(page).getByText('This message was deleted.'), 1);

    // Bob is not the owner: alice's messages offer him a link to copy, not Edit or Delete.
    const theirs = messages(bob.page).locator('li.msg', { hasText: 'This had a typo' });
    await theirs.getByRole('button', { name: "Actions for alice's message" }).click();
    const menu = bob.page.getByRole('menu', { name: 'Message actions' });
    await visible(menu.getByRole('menuitem', { name: 'Copy link' }));
    await expectCount(menu.getByRole('menuitem', { name: /Edit|Delete/ }), 0);
    await bob.page.keyboard.press('Escape');
    await gone(menu);
  });

  it('uploads an image with progress and shows the preview on the other side', async () => {
    const { page } = alice;
    const png = await sharp({
      create: { width: 480, height: 300, channels: 3, background: { r: 99, g: 102, b: 241 } },
    })
      .composite([
        {
          input: Buffer.from(
            '<svg width="480" height="300"><circle cx="240" cy="150" r="90" fill="#fbbf24"/></svg>',
          ),
        },
      ])
      .png()
      .toBuffer();

    // Too large: refused before any byte is sent.
    const fileInput = page.locator('input[type="file"]');
    await fileInput.setInputFiles({
      name: 'huge.zip',
      mimeType: 'application/zip',
      buffer: Buffer.alloc(26 * 1024 * 1024),
    });
    await visible(page.getByText(/huge\.zip is too large \(26 MB\)\. The limit is 25 MB\./));
    await page.getByRole('button', { name: 'Remove huge.zip' }).click();

    // A type the browser cannot name passes the client's check; the server reads the bytes and refuses.
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(4096)]);
    await fileInput.setInputFiles({ name: 'setup.bin', mimeType: '', buffer: exe });
    await visible(page.getByText(/^setup\.bin: Files of type .+ are not accepted/));
    await page.getByRole('button', { name: 'Remove setup.bin' }).click();

    await fileInput.setInputFiles({ name: 'mockup.png', mimeType: 'image/png', buffer: png });
    await visible(page.getByText('Ready to send'));
    await composer(page).fill('First mockup');
    await composer(page).press('Enter');

    const preview = messages(bob.page).getByRole('img', { name: 'mockup.png' });
    await visible(preview, 30_000);
    await bob.page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('.message-list img[alt="mockup.png"]');
        return !!img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');
      },
      undefined,
      { timeout: 15_000 },
    );
    await visible(messages(page).getByRole('img', { name: 'mockup.png' }));
    await shot(bob.page, '04-image-preview');

    // A non-image file is a download card.
    await fileInput.setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('hello\n'),
    });
    await visible(page.getByText('Ready to send'));
    await composer(page).press('Enter');
    await visible(messages(bob.page).getByRole('button', { name: 'Download notes.txt' }));
  });

  it('keeps people signed in across a reload, with history', async () => {
    await bob.page.reload();
    await visible(bob.page.getByRole('heading', { name: 'design', level: 1 }));
    await visible(messages(bob.page).getByText('Hello Bob! Welcome to the design channel.'));
    await visible(messages(bob.page).getByText('This had a typo'));
    await visible(messages(bob.page).getByRole('img', { name: 'mockup.png' }));
  });

  it('catches up after losing the connection, and sends what was written offline once', async () => {
    const { page, context } = alice;
    await context.setOffline(true);
    await dropSockets(page);
    await visible(page.getByText(/You are offline|Reconnecting/));

    // Bob keeps talking meanwhile.
    for (const text of ['Are you there?', 'I pushed the new colours.']) {
      await composer(bob.page).fill(text);
      await composer(bob.page).press('Enter');
      await visible(messages(bob.page).getByText(text));
    }

    // Alice writes while offline: shown as waiting.
    await composer(page).fill('Sorry, train tunnel');
    await composer(page).press('Enter');
    await visible(messages(page).getByText('Waiting for connection…'));
    await expectCount(messages(page).getByText('Are you there?'), 0);
    await shot(page, '05-offline-pending');

    await context.setOffline(false);
    await visible(messages(page).getByText('Are you there?'), 30_000);
    await visible(messages(page).getByText('I pushed the new colours.'));
    await gone(messages(page).getByText('Waiting for connection…'));
    await visible(messages(bob.page).getByText('Sorry, train tunnel'));
    // Exactly once on each side: no duplicates, no gaps.
    for (const p of [page, bob.page]) {
      await expectCount(messages(p).getByText('Sorry, train tunnel'), 1);
      await expectCount(messages(p).getByText('Are you there?'), 1);
    }
    await gone(page.getByText(/You are offline|Reconnecting/));
  });

  it('counts unread messages in another conversation', async () => {
    // Bob opens a DM with alice; alice, still in #design, sees the DM with an unread badge.
    await bob.page.getByRole('button', { name: 'New direct message' }).click();
    await bob.page.getByLabel('Find someone by username').fill('ali');
    await bob.page.getByRole('button', { name: 'Message alice' }).click();
    await visible(bob.page.getByRole('heading', { name: 'alice', level: 1 }));
    await composer(bob.page).fill('Quick question about the logo');
    await composer(bob.page).press('Enter');
    await visible(alice.page.getByRole('link', { name: /^bob, online, 1 unread$/ }));
    await alice.page.getByRole('link', { name: /^bob/ }).click();
    await visible(messages(alice.page).getByText('Quick question about the logo'));
    await visible(alice.page.getByRole('link', { name: /^bob, online$/ }));
  });

  it('works on a phone-sized screen', async () => {
    const phone = await world.browser.newContext({
      viewport: { width: 390, height: 844 },
      baseURL: world.stack.url,
      isMobile: true,
      hasTouch: true,
      // No sliding animation half-way through a screenshot.
      reducedMotion: 'reduce',
    });
    const page = await phone.newPage();
    await page.goto('/');
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The channel list starts open on a phone when nothing is selected.
    await visible(page.getByRole('link', { name: /^design channel/ }));
    await shot(page, '06-phone-sidebar');
    await page.getByRole('link', { name: /^design channel/ }).click();
    await visible(messages(page).getByText('Sorry, train tunnel'));
    // The members panel starts closed on a phone; the conversation has the whole width.
    await expectCount(page.getByRole('complementary', { name: /^Members of/ }), 0);
    await shot(page, '07-phone-conversation');
    await page.getByRole('button', { name: 'Open channel list' }).click();
    await visible(page.getByRole('link', { name: /^alice/ }));
    await phone.close();
  });

  it('shows a person going offline, and signs out', async () => {
    const members = alice.page.getByRole('complementary', { name: /^Members of/ });
    await bob.page.close();
    await alice.page.getByRole('link', { name: /^design channel/ }).click();
    await visible(members.locator('li', { hasText: 'bob' }).getByText(', offline'), 20_000);
    await alice.page.getByRole('button', { name: 'Sign out' }).click();
    await visible(alice.page.getByRole('tab', { name: 'Sign in' }));
    await alice.page.reload();
    await visible(alice.page.getByRole('tab', { name: 'Sign in' }));
  });
});
