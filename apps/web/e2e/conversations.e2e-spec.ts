import type { Page } from 'playwright-core';
import {
  browserSuiteAvailable,
  composer,
  dropSockets,
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
 * Two people using threads, reactions, mentions, Markdown, permalinks, pins, the topic and search
 * in the real product (built client, gateway, Postgres, Redis) through Chromium.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

/** The channel's timeline (the thread panel has its own list). */
const timeline = (page: Page) => page.locator('.messages .message-list');
const message = (page: Page, text: string) => timeline(page).locator('li.msg', { hasText: text });
const threadPanel = (page: Page) => page.getByRole('complementary', { name: /^Thread in / });

async function say(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await visible(message(page, text.split('\n')[0].replace(/[*_`]/g, '').slice(0, 20)));
}

run('the web client, conversations', () => {
  let world: World;
  let ana: Person;
  let ben: Person;
  const password = 'correct horse battery';

  beforeAll(async () => {
    world = await startWorld();
    ana = await person(world, { name: 'ana' });
    ben = await person(world, { name: 'ben' });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    expect([...ana.errors, ...ben.errors]).toEqual([]);
  });

  it('sets up two people in two public channels', async () => {
    await register(ana.page, 'ana', password);
    await visible(ana.page.getByRole('heading', { name: 'Channels' }));
    for (const name of ['quiet', 'plaza']) {
      await ana.page.getByRole('button', { name: 'Create a channel' }).first().click();
      const dialog = ana.page.getByRole('dialog', { name: 'Create a channel' });
      await dialog.getByLabel('Name').fill(name);
      await dialog.getByRole('button', { name: 'Create channel' }).click();
      await visible(ana.page.getByRole('heading', { name, level: 1 }));
    }
    await register(ben.page, 'ben', password);
    await visible(ben.page.getByRole('heading', { name: 'Channels' }));
    for (const name of ['plaza', 'quiet']) {
      await ben.page.getByRole('button', { name: 'Browse channels' }).first().click();
      const browse = ben.page.getByRole('dialog', { name: 'Browse channels' });
      await browse.getByLabel('Search public channels').fill(name);
      await browse.getByRole('button', { name: `Join ${name}` }).click();
      await visible(ben.page.getByRole('heading', { name, level: 1 }));
    }
    // Ana sees ben in plaza's member list (the @-autocomplete reads it).
    await visible(
      ana.page.getByRole('complementary', { name: 'Members of #plaza' }).locator('li', { hasText: 'ben' }),
    );
  });

  it('renders Markdown, and shows raw HTML as text', async () => {
    await ben.page.getByRole('link', { name: /^plaza channel/ }).click();
    await composer(ana.page).fill('**Bold move** with `inline code` and <img src=x onerror=alert(1)>');
    await composer(ana.page).press('Enter');
    const seen = message(ben.page, 'Bold move');
    await visible(seen);
    await visible(seen.locator('strong', { hasText: 'Bold move' }));
    await visible(seen.locator('code', { hasText: 'inline code' }));
    await visible(seen.getByText('<img src=x onerror=alert(1)>', { exact: false }));
    await expectCount(timeline(ben.page).locator('img'), 0);
    await composer(ana.page).fill('```js\nconst answer = 42;\n```');
    await composer(ana.page).press('Enter');
    await visible(timeline(ben.page).locator('pre code.hljs .hljs-keyword', { hasText: 'const' }));
    await shot(ben.page, 'conv-01-markdown');
  });

  it('raises a mention badge where ben is not looking, and clears it when he reads', async () => {
    await ben.page.getByRole('link', { name: /^quiet channel/ }).click();
    await visible(ben.page.getByRole('heading', { name: 'quiet', level: 1 }));
    // Ana completes @ben with the keyboard.
    await composer(ana.page).pressSequentially('Ping @be');
    const options = ana.page.getByRole('listbox', { name: 'People to mention' });
    await visible(options.getByRole('option', { name: '@ben' }));
    await shot(ana.page, 'conv-02-autocomplete');
    await composer(ana.page).press('Enter');
    expect(await composer(ana.page).inputValue()).toBe('Ping @ben ');
    await composer(ana.page).pressSequentially('can you look?');
    await composer(ana.page).press('Enter');
    await visible(message(ana.page, 'can you look?'));

    const plaza = ben.page.getByRole('link', { name: /^plaza channel/ });
    await visible(ben.page.getByRole('link', { name: /^plaza channel.*, 1 mention$/ }));
    await visible(plaza.locator('.mention-badge', { hasText: '@1' }));
    await shot(ben.page, 'conv-03-mention-badge');
    await plaza.click();
    await visible(message(ben.page, 'can you look?').locator('.mention.mention-me', { hasText: '@ben' }));
    await gone(ben.page.locator('.mention-badge'));
  });

  it('keeps what is typed right after picking a mention where it was typed, on a slow device', async () => {
    // Animation frames come half a second late, as on a busy phone (restored below).
    await ana.page.evaluate(() => {
      const w = window as Window & { realFrame?: typeof requestAnimationFrame };
      w.realFrame = w.requestAnimationFrame.bind(w);
      w.requestAnimationFrame = (cb) => w.realFrame!(() => setTimeout(() => cb(performance.now()), 500));
    });
    try {
      // Ana's box holds `text`, her caret right after `before`; she types `typed` and picks @ben.
      const pickBen = async (text: string, before: string, typed: string) => {
        await composer(ana.page).fill(text);
        await composer(ana.page).press('Home');
        for (let i = 0; i < before.length; i++) await composer(ana.page).press('ArrowRight');
        if (typed) await composer(ana.page).pressSequentially(typed);
        const options = ana.page.getByRole('listbox', { name: 'People to mention' });
        await visible(options.getByRole('option', { name: '@ben' }));
        await composer(ana.page).press('Enter');
      };
      // The mention goes in the middle of the sentence, and ana types on at once.
      await pickBen('Ask now', 'Ask ', '@be');
      await composer(ana.page).pressSequentially('to look ');
      expect(await composer(ana.page).inputValue()).toBe('Ask @ben to look now');
      await composer(ana.page).press('End');
      await composer(ana.page).pressSequentially(', please');
      await composer(ana.page).press('Enter');
      await visible(message(ben.page, 'Ask @ben to look now, please'));
      // A name typed in full and picked all the same: the caret still goes past it.
      await pickBen('@ben now', '@ben', '');
      await composer(ana.page).pressSequentially('look ');
      expect(await composer(ana.page).inputValue()).toBe('@ben look now');
      await composer(ana.page).fill('');
    } finally {
      await ana.page.evaluate(() => {
        const w = window as Window & { realFrame?: typeof requestAnimationFrame };
        if (w.realFrame) w.requestAnimationFrame = w.realFrame;
      });
    }
  });

  it('replies in a thread; the other side sees the count and the thread', async () => {
    await say(ana.page, 'Thread starter: lunch plans?');
    const root = message(ben.page, 'Thread starter');
    await visible(root);
    await root.hover();
    await root.getByRole('button', { name: 'Reply in thread' }).click();
    const panel = threadPanel(ben.page);
    await visible(panel);
    const reply = panel.getByRole('textbox', { name: /^Reply in thread/ });
    await reply.fill('Tacos at noon');
    await reply.press('Enter');
    await visible(panel.locator('li.msg', { hasText: 'Tacos at noon' }));

    const count = message(ana.page, 'Thread starter').getByRole('button', { name: /1 reply/ });
    await visible(count);
    // Replies stay out of the channel's timeline.
    await expectCount(timeline(ana.page).getByText('Tacos at noon'), 0);
    await count.click();
    await visible(threadPanel(ana.page).locator('li.msg', { hasText: 'Tacos at noon' }));
    await shot(ana.page, 'conv-04-thread');
    await threadPanel(ana.page).getByRole('button', { name: 'Close thread' }).click();
    await threadPanel(ben.page).getByRole('button', { name: 'Close thread' }).click();
  });

  it('shows a reaction on the other side, and toggles it', async () => {
    const target = message(ana.page, 'Thread starter');
    await target.hover();
    await target.getByRole('button', { name: 'Add reaction' }).click();
    await ana.page.getByRole('button', { name: 'React with thumbs up' }).click();
    const chip = (page: Page, n: number) =>
      message(page, 'Thread starter').getByRole('button', { name: new RegExp(`^👍 ${n}:`) });
    await visible(chip(ben.page, 1));
    expect(await chip(ben.page, 1).getAttribute('title')).toBe('ana reacted with 👍');
    await chip(ben.page, 1).click();
    await visible(chip(ana.page, 2));
    expect(await chip(ana.page, 2).getAttribute('aria-pressed')).toBe('true');
    await shot(ana.page, 'conv-05-reactions');
  });

  it('lists followed threads with new replies, and opening one marks it read', async () => {
    // Ben replied in the thread, so he follows it; ana answers while he looks at the channel.
    const root = message(ana.page, 'Thread starter');
    await root.getByRole('button', { name: /1 reply/ }).click();
    const reply = threadPanel(ana.page).getByRole('textbox', { name: /^Reply in thread/ });
    await reply.fill('Make it 12:30');
    await reply.press('Enter');
    await visible(message(ben.page, 'Thread starter').getByRole('button', { name: /2 replies/ }));
    const threads = ben.page.getByRole('button', { name: 'Threads, 1 with new replies' });
    await visible(threads);
    await threads.click();
    const row = ben.page
      .getByRole('complementary', { name: 'Threads' })
      .getByRole('button', { name: /^Thread by ana in #plaza, 1 new replies/ });
    await visible(row);
    await shot(ben.page, 'conv-05-threads-view');
    await row.click();
    await visible(threadPanel(ben.page).locator('li.msg', { hasText: 'Make it 12:30' }));
    await visible(ben.page.getByRole('button', { name: 'Threads', exact: true }));
    await threadPanel(ben.page).getByRole('button', { name: 'Close thread' }).click();
    await threadPanel(ana.page).getByRole('button', { name: 'Close thread' }).click();
  });

  it('catches up on a reaction made while disconnected', async () => {
    await ben.context.setOffline(true);
    try {
      await dropSockets(ben.page);
      await visible(ben.page.getByRole('status', { name: /^Connection: (Offline|Reconnecting)/ }), 30_000);
      const target = message(ana.page, 'Bold move');
      await target.hover();
      await target.getByRole('button', { name: 'Add reaction' }).click();
      await ana.page.getByRole('button', { name: 'React with party popper' }).click();
      await visible(message(ana.page, 'Bold move').getByRole('button', { name: /^🎉 1:/ }));
    } finally {
      await ben.context.setOffline(false);
    }
    await visible(message(ben.page, 'Bold move').getByRole('button', { name: /^🎉 1:/ }), 30_000);
  });

  it('pins a message and shows it in the header', async () => {
    const target = message(ana.page, 'Thread starter');
    await target.hover();
    await target.getByRole('button', { name: 'Actions for your message' }).click();
    await ana.page.getByRole('menuitem', { name: 'Pin to channel' }).click();
    const pins = ben.page.getByRole('button', { name: 'Pinned messages: 1' });
    await visible(pins);
    await pins.click();
    await visible(ben.page.getByRole('dialog', { name: 'Pinned messages' }).getByText('Thread starter'));
    await shot(ben.page, 'conv-06-pins');
    await ben.page.keyboard.press('Escape');
  });

  it('edits the topic, for the owner only', async () => {
    await expectCount(ben.page.getByRole('button', { name: /topic/i }), 0);
    await ana.page.getByRole('button', { name: 'Add a topic' }).click();
    await ana.page.getByLabel('Topic of #plaza').fill('Lunch, links and loose ends');
    await ana.page.getByRole('button', { name: 'Save topic' }).click();
    await visible(ben.page.locator('.conv-topic', { hasText: 'Lunch, links and loose ends' }));
    await shot(ben.page, 'conv-07-topic');
  });

  it('opens a permalink at its message, highlighted', async () => {
    const seq = await message(ana.page, 'Bold move').getAttribute('data-seq');
    const hash = await ana.page.evaluate(() => window.location.hash);
    const channelId = /^#\/c\/([^/]+)/.exec(hash)?.[1];
    expect(seq).toBeTruthy();
    expect(channelId).toBeTruthy();
    await ben.page.goto(`/#/c/${channelId}/m/${seq}`);
    await visible(ben.page.locator(`.messages li.msg.highlighted[data-seq="${seq}"]`));
    await shot(ben.page, 'conv-08-permalink');
  });

  it('finds a message with a filter and opens it', async () => {
    await say(ben.page, 'Count me in for lunch');
    await ben.page.getByRole('button', { name: 'Search messages' }).click();
    const dialog = ben.page.getByRole('dialog', { name: 'Search messages' });
    await dialog.getByLabel('Search for').fill('lunch');
    await dialog.getByLabel('From').fill('an');
    await dialog.getByRole('button', { name: 'From ana' }).click();
    await dialog.getByRole('button', { name: 'Search', exact: true }).click();
    const results = dialog.getByRole('list', { name: 'Search results' });
    await visible(results.getByText('Thread starter: lunch plans?'));
    // Ben's own message matches the words, not the filter.
    await expectCount(results.getByText('Count me in for lunch'), 0);
    await shot(ben.page, 'conv-09-search');
    await results.getByText('Thread starter: lunch plans?').click();
    await visible(ben.page.locator('.messages li.msg.highlighted', { hasText: 'Thread starter' }));
  });
});
