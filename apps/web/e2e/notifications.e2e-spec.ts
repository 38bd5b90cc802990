import type { AuthResult, Channel, Message, Notification as ChatNotification } from '@chat/contracts';
import type { CDPSession, Page, Worker } from 'playwright-core';
import { generateVAPIDKeys } from 'web-push';
import {
  browserSuiteAvailable,
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
 * Notifications that reach people, in the real product (built client and service worker, gateway,
 * auth, Postgres, Redis) through Chromium: system notifications while the tab is hidden, toasts
 * while it is visible, the count in the title and on the favicon, per-channel levels and mute,
 * Web Push through the service worker (delivered with the DevTools protocol), the settings page,
 * the web app manifest and the offline shell.
 */
const run = browserSuiteAvailable() ? describe : describe.skip;

const password = 'correct horse battery';

/** What a test reads back of a notification the service worker registration holds. */
interface Shown {
  title: string;
  body: string;
  tag: string;
  data: { url?: string } | null;
}

/**
 * Before the app: `visibilityState` under the test's control (a headless page is always visible),
 * and a count of permission prompts (the app must never ask on load).
 */
function pageHooks(): void {
  const w = window as unknown as { __setHidden(h: boolean): void; __asked: number };
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible'),
  });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  w.__setHidden = (h: boolean) => {
    hidden = h;
    document.dispatchEvent(new Event('visibilitychange'));
  };
  w.__asked = 0;
  if (typeof Notification !== 'undefined') {
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args: Parameters<typeof Notification.requestPermission>) => {
      w.__asked++;
      return ask(...args);
    };
  }
}

const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => (window as unknown as { __setHidden(h: boolean): void }).__setHidden(h), hidden);

/** The notifications the page's service worker registration shows now (optionally of one tag). */
function shownIn(page: Page, tag?: string): Promise<Shown[]> {
  return page.evaluate(async (t) => {
    const reg = await navigator.serviceWorker.getRegistration('/');
    const list = reg ? await reg.getNotifications(t ? { tag: t } : undefined) : [];
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as { url?: string } }));
  }, tag);
}

/**
 * The notifications the service worker's registration shows, read inside the worker. (Its global
 * scope is typed by hand: the browser tests compile with the DOM library, not WebWorker's.)
 */
function shownBy(sw: Worker): Promise<Shown[]> {
  return sw.evaluate(async () => {
    const scope = self as unknown as { registration: ServiceWorkerRegistration };
    return (await scope.registration.getNotifications()).map((x) => ({
      title: x.title,
      body: x.body,
      tag: x.tag,
      data: x.data as { url?: string },
    }));
  });
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeout = 15_000,
): Promise<T> {
  const end = Date.now() + timeout;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

const faviconHref = (page: Page) =>
  page.evaluate(
    () => document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.getAttribute('href') ?? '',
  );

/** Another person, through the REST API only (the sender of what the browser user receives). */
class RestUser {
  constructor(
    private readonly base: string,
    readonly auth: AuthResult,
  ) {}

  static async register(base: string, username: string): Promise<RestUser> {
    const res = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(res.status).toBe(201);
    return new RestUser(base, (await res.json()) as AuthResult);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.auth.accessToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async joinByName(name: string): Promise<Channel> {
    const found = await this.call<Channel[]>('GET', `/channels/public?q=${encodeURIComponent(name)}`);
    const c = found.body.find((x) => x.name === name);
    if (!c) throw new Error(`no public channel ${name}`);
    const joined = await this.call<Channel>('POST', `/channels/${c.id}/join`);
    expect(joined.status).toBeLessThan(300);
    return joined.body;
  }

  async say(channelId: string, body: string): Promise<Message> {
    const res = await this.call<Message>('POST', `/channels/${channelId}/messages`, { body });
    expect(res.status).toBe(201);
    return res.body;
  }
}

run('the web client, notifications', () => {
  let world: World;
  let nia: Person;
  let nils: RestUser;
  let bells: Channel;
  let chimes: Channel;
  let dm: Channel;

  const sidebarLink = (page: Page, name: string) =>
    page.getByRole('link', { name: new RegExp(`^${name} channel`) });
  const toasts = (page: Page) => page.getByRole('region', { name: 'Notifications' });

  beforeAll(async () => {
    // The local mode's launcher (scripts/start-local.ts) makes a key pair; the bare stack needs one.
    const vapid = generateVAPIDKeys();
    world = await startWorld({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey });
    nia = await person(world, { name: 'nia' });
    await nia.context.addInitScript(pageHooks);
    await nia.context.grantPermissions(['notifications'], { origin: world.stack.url });
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    expect(nia.errors).toEqual([]);
  });

  it('sets up nia in the browser, nils over REST, two channels and a DM', async () => {
    await register(nia.page, 'nia', password);
    for (const name of ['bells', 'chimes']) {
      await nia.page.getByRole('button', { name: 'Create a channel' }).first().click();
      const dialog = nia.page.getByRole('dialog', { name: 'Create a channel' });
      await dialog.getByLabel('Name').fill(name);
      await dialog.getByRole('button', { name: 'Create channel' }).click();
      await visible(nia.page.getByRole('heading', { name, level: 1 }));
    }
    nils = await RestUser.register(world.stack.url, 'nils');
    bells = await nils.joinByName('bells');
    chimes = await nils.joinByName('chimes');
    const users = await nils.call<{ id: string; username: string }[]>('GET', '/users?q=nia');
    const niaUser = users.body.find((u) => u.username === 'nia');
    expect(niaUser).toBeDefined();
    const opened = await nils.call<Channel>('POST', '/dms', { userId: niaUser!.id });
    expect(opened.status).toBeLessThan(300);
    dm = opened.body;
    await visible(nia.page.getByRole('link', { name: /^nils/ }));
    // The service worker is installed and controls the page (it shows the tab's notifications).
    await until(
      'an active service worker',
      () => nia.page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration('/'))?.active),
      (v) => v,
    );
    // Nothing asked for notification permission on its own.
    expect(await nia.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0);
  });

  it('hidden tab: a mention shows one system notification per channel, and counts in the title and favicon', async () => {
    await sidebarLink(nia.page, 'chimes').click();
    await visible(nia.page.getByRole('heading', { name: 'chimes', level: 1 }));
    expect(await nia.page.title()).toBe('#chimes · Chat');
    expect(await faviconHref(nia.page)).toBe('/favicon.svg');
    await setHidden(nia.page, true);

    const first = await nils.say(bells.id, '@nia are you there?');
    const tag = `chat:${bells.id}`;
    const [shown] = await until(
      'the mention notification',
      () => shownIn(nia.page, tag),
      (l) => l.length === 1,
    );
    expect(shown.title).toContain('nils');
    expect(shown.body).toContain('are you there?');
    expect(shown.data?.url).toBe(`/#/c/${bells.id}/m/${first.seq}`);
    await until(
      'the title count',
      () => nia.page.title(),
      (t) => t.startsWith('(1) '),
    );
    expect(await faviconHref(nia.page)).toMatch(/^data:image\/png;base64,/);

    // A burst in the same channel updates the one notification, it does not stack.
    const second = await nils.say(bells.id, '@nia second ping');
    await until(
      'the replaced notification',
      () => shownIn(nia.page, tag),
      (l) => l.length === 1 && l[0].body.includes('second ping'),
    );
    expect((await shownIn(nia.page, tag))[0].data?.url).toBe(`/#/c/${bells.id}/m/${second.seq}`);
    await until(
      'the title count',
      () => nia.page.title(),
      (t) => t.startsWith('(2) '),
    );

    // Back to the tab, reading bells clears the count and the badge.
    await setHidden(nia.page, false);
    await sidebarLink(nia.page, 'bells').click();
    await until(
      'a plain title',
      () => nia.page.title(),
      (t) => t === '#bells · Chat',
    );
    await until(
      'the plain favicon',
      () => faviconHref(nia.page),
      (h) => h === '/favicon.svg',
    );
    await nia.page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/');
      for (const n of (await reg?.getNotifications()) ?? []) n.close();
    });
  });

  it('visible tab: a quiet toast for another channel opens it at the message; none for the open channel', async () => {
    // Reading bells at the bottom: a mention there shows in the list, not as a toast.
    await nils.say(bells.id, '@nia right here');
    await visible(nia.page.locator('li.msg', { hasText: 'right here' }));
    // Then one in chimes (as a control that notifications do arrive), which does toast.
    const m = await nils.say(chimes.id, '@nia over in the chimes');
    const toast = toasts(nia.page).getByRole('link', { name: /over in the chimes/ });
    await visible(toast);
    await expectCount(toasts(nia.page).getByText('right here'), 0);
    expect(await shownIn(nia.page)).toEqual([]);
    await shot(nia.page, 'notify-01-toast');
    await toast.click();
    await visible(nia.page.getByRole('heading', { name: 'chimes', level: 1 }));
    await visible(nia.page.locator(`li.msg[data-seq="${m.seq}"]`));
    await gone(toast);
  });

  it('a channel set to Nothing does not notify; a muted one neither, and looks muted', async () => {
    await sidebarLink(nia.page, 'bells').click();
    await visible(nia.page.getByRole('heading', { name: 'bells', level: 1 }));
    // A second tab of the same login follows the change (channel:updated).
    const tab2 = await nia.context.newPage();
    await tab2.goto(`/#/c/${bells.id}`);
    await visible(tab2.getByRole('heading', { name: 'bells', level: 1 }));

    await nia.page.getByRole('button', { name: 'Notifications: mentions' }).click();
    const menu = nia.page.getByRole('dialog', { name: 'Notifications for #bells' });
    await menu.getByRole('radio', { name: /Nothing/ }).check();
    await visible(nia.page.getByRole('button', { name: 'Notifications: nothing' }));
    await visible(tab2.getByRole('button', { name: 'Notifications: nothing' }));
    await nia.page.keyboard.press('Escape');
    await shot(nia.page, 'notify-02-level');

    await sidebarLink(nia.page, 'chimes').click();
    await tab2.close();
    await setHidden(nia.page, true);
    await nils.say(bells.id, '@nia you will not hear this');
    // The DM after it does notify (DMs default to all): once it shows, bells's would have too.
    await nils.say(dm.id, 'a direct word');
    await until(
      'the DM notification',
      () => shownIn(nia.page, `chat:${dm.id}`),
      (l) => l.length === 1,
    );
    expect(await shownIn(nia.page, `chat:${bells.id}`)).toEqual([]);

    // Mute chimes: nothing from it, whatever the level; muted in the sidebar; out of the title.
    await setHidden(nia.page, false);
    await sidebarLink(nia.page, 'chimes').click();
    await nia.page.getByRole('button', { name: /^Notifications: / }).click();
    await nia.page.getByRole('checkbox', { name: /Mute #chimes/ }).check();
    await nia.page.getByRole('radio', { name: /All new messages/ }).check();
    await visible(nia.page.getByRole('button', { name: 'Notifications: muted' }));
    await nia.page.keyboard.press('Escape');
    await visible(nia.page.getByRole('link', { name: /^chimes channel, muted/ }));
    await sidebarLink(nia.page, 'bells').click();
    await setHidden(nia.page, true);
    const before = await nia.page.title();
    await nils.say(chimes.id, '@nia muted chimes speaks');
    await nils.say(dm.id, 'another direct word');
    await until(
      'the second DM notification',
      () => shownIn(nia.page, `chat:${dm.id}`),
      (l) => l.length === 1 && l[0].body.includes('another direct word'),
    );
    expect(await shownIn(nia.page, `chat:${chimes.id}`)).toEqual([]);
    await visible(nia.page.getByRole('link', { name: /^chimes channel, muted, 1 unread, 1 mention/ }));
    await shot(nia.page, 'notify-03-muted');
    expect(before).toBeTruthy();
    await setHidden(nia.page, false);
  });

  describe('Web Push through the service worker', () => {
    let cdp: CDPSession;
    let registrationId = '';

    beforeAll(async () => {
      cdp = await nia.context.newCDPSession(nia.page);
      const found = new Promise<string>((resolve) => {
        cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
          const reg = e.registrations.find((r) => r.scopeURL === `${world.stack.url}/` && !r.isDeleted);
          if (reg) resolve(reg.registrationId);
        });
      });
      await cdp.send('ServiceWorker.enable');
      registrationId = await found;
    });

    const worker = (): Promise<Worker> => {
      const running = nia.context.serviceWorkers()[0];
      return running ? Promise.resolve(running) : nia.context.waitForEvent('serviceworker');
    };

    async function push(n: ChatNotification & { url: string; tag: string }): Promise<void> {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: world.stack.url,
        registrationId,
        data: JSON.stringify(n),
      });
    }

    it('shows a pushed notification while no tab of the app is open', async () => {
      await nia.page.goto('about:blank');
      const n: ChatNotification = {
        kind: 'mention',
        channelId: bells.id,
        messageId: '00000000-0000-4000-8000-000000000001',
        seq: 1,
        title: 'nils in #bells',
        body: '@nia pushed while away',
      };
      await push({ ...n, url: `/#/c/${bells.id}/m/1`, tag: `chat:${bells.id}` });
      const sw = await worker();
      const shown = await until(
        'the pushed notification',
        () => shownBy(sw),
        (l) => l.some((x) => x.body.includes('pushed while away')),
      );
      expect(shown.find((x) => x.body.includes('pushed while away'))).toEqual({
        title: 'nils in #bells',
        body: '@nia pushed while away',
        tag: `chat:${bells.id}`,
        data: { url: `${world.stack.url}/#/c/${bells.id}/m/1` },
      });
    });

    it('a click on it brings the app forward at that message', async () => {
      await nia.page.goto(`/#/c/${chimes.id}`);
      await visible(nia.page.getByRole('heading', { name: 'chimes', level: 1 }));
      const sw = await worker();
      // Headless Chromium shows no notification one could click: the worker's own click handler
      // gets a NotificationEvent for the very notification it showed.
      await sw.evaluate(async (tag) => {
        const scope = self as unknown as {
          registration: ServiceWorkerRegistration;
          dispatchEvent(e: Event): boolean;
          NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
        };
        const [n] = await scope.registration.getNotifications({ tag });
        scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: n }));
      }, `chat:${bells.id}`);
      await visible(nia.page.getByRole('heading', { name: 'bells', level: 1 }));
      expect(new URL(nia.page.url()).hash).toBe(`#/c/${bells.id}/m/1`);
      // The click closed it.
      await until(
        'the notification closed',
        () => shownIn(nia.page, `chat:${bells.id}`),
        (l) => l.length === 0,
      );
    });

    it('a push with a hostile payload still shows something, and never leaves the origin', async () => {
      await nia.page.goto('about:blank');
      // One push at a time, each awaited. DevTools' delivery to a worker that is being stopped
      // (no page of the origin is open any more) was seen to drop a push in CI; the worker's
      // handling is what is under test, so a dropped delivery is tried once more.
      const deliver = async (payload: object, shows: (x: Shown) => boolean): Promise<Shown[]> => {
        const send = () =>
          cdp.send('ServiceWorker.deliverPushMessage', {
            origin: world.stack.url,
            registrationId,
            data: JSON.stringify(payload),
          });
        await send();
        try {
          return await until(
            'the notification',
            () => worker().then(shownBy),
            (l) => l.some(shows),
            7_000,
          );
        } catch {
          await send();
          return until(
            'the notification',
            () => worker().then(shownBy),
            (l) => l.some(shows),
            7_000,
          );
        }
      };
      await deliver({ title: 'x'.repeat(5000) }, (x) => x.title === 'New activity');
      const shown = await deliver(
        { title: 'Phish', body: 'click', url: 'https://evil.example/', tag: 'evil' },
        (x) => x.title === 'Phish',
      );
      expect(shown.some((x) => x.title === 'New activity')).toBe(true);
      expect(shown.find((x) => x.title === 'Phish')?.data?.url).toBe(`${world.stack.url}/`);
    });
  });

  it('serves a valid manifest with icons that load, and Chromium finds the app installable', async () => {
    await nia.page.goto('/');
    const res = await fetch(`${world.stack.url}/manifest.webmanifest`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/manifest+json');
    const manifest = (await res.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      display: string;
      icons: { src: string; sizes: string; type: string; purpose: string }[];
    };
    expect(manifest).toMatchObject({
      name: 'Chat',
      short_name: 'Chat',
      start_url: '/',
      display: 'standalone',
    });
    for (const icon of manifest.icons) {
      const png = await fetch(`${world.stack.url}${icon.src}`);
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await png.arrayBuffer());
      // PNG signature, then IHDR's width and height.
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      expect(`${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`).toBe(icon.sizes);
    }
    expect(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual(
      expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']),
    );
    const cdp = await nia.context.newCDPSession(nia.page);
    const parsed = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
    expect(parsed.errors).toEqual([]);
    expect(parsed.url).toBe(`${world.stack.url}/manifest.webmanifest`);
    const installable = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    // A test browser context is incognito, where Chromium installs nothing; that is the only reason.
    expect(
      installable.installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'),
    ).toEqual([]);
    await cdp.detach();
  });

  it('opens offline from the kept shell and says it is offline; no API answer was kept', async () => {
    await nia.page.goto(`/#/c/${bells.id}`);
    await visible(nia.page.getByRole('heading', { name: 'bells', level: 1 }));
    await nia.context.setOffline(true);
    try {
      await nia.page.reload();
      await visible(nia.page.getByRole('heading', { name: 'Channels' }));
      await visible(nia.page.getByText('You are offline.', { exact: false }));
      await shot(nia.page, 'notify-04-offline');
    } finally {
      await nia.context.setOffline(false);
    }
    // Back online, the same page reconnects and loads what it could not.
    await visible(sidebarLink(nia.page, 'bells'), 30_000);
    const kept = await nia.page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
      }
      return urls;
    });
    expect(kept).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest']));
    expect(
      kept.filter((p) =>
        /^\/(auth|files|socket\.io|channels|messages|dms|search|users|push|hooks)\b/.test(p),
      ),
    ).toEqual([]);
  });

  it('settings: permission state, email address with verification, and the link outcome', async () => {
    await nia.page.goto('/#/settings');
    await visible(nia.page.getByRole('heading', { name: 'Settings', level: 1 }));
    await visible(nia.page.getByText('Allowed. While this tab is in the background'));
    await nia.page.getByLabel('Email address').fill('nia@example.com');
    await nia.page.getByRole('button', { name: 'Save address' }).click();
    await visible(nia.page.getByText('Verification sent to nia@example.com'));
    // Digests off sticks (PATCH /auth/me), and so does the address, across a reload.
    const digests = nia.page.getByRole('switch', { name: 'Email digests of what I miss' });
    const patched = nia.page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/auth/me' && r.request().method() === 'PATCH',
    );
    const wasOn = await digests.isChecked();
    await digests.setChecked(!wasOn);
    expect((await patched).status()).toBe(200);
    await nia.page.reload();
    await visible(nia.page.getByText('nia@example.com — not verified yet.'));
    await until(
      'the digest switch kept',
      () => digests.isChecked(),
      (v) => v === !wasOn,
    );
    await shot(nia.page, 'notify-05-settings');

    await nia.page.goto('/#/settings?email=verified');
    await visible(nia.page.getByText('Your email address is verified.'));
    expect(new URL(nia.page.url()).hash).toBe('#/settings');
    await nia.page.goto('/#/settings?email=invalid');
    await visible(nia.page.getByText('That verification link is not valid any more'));

    // Leaving settings for a channel from the sidebar.
    await sidebarLink(nia.page, 'bells').click();
    await visible(nia.page.getByRole('heading', { name: 'bells', level: 1 }));
    // The address follows: a settings link opened next opens settings again.
    expect(new URL(nia.page.url()).hash).not.toContain('settings');
  });

  it('settings: push on this device, where the browser refuses it', async () => {
    await nia.page.goto('/#/settings');
    const toggle = nia.page.getByRole('switch', { name: 'Push notifications on this device' });
    await visible(toggle);
    const asked = nia.page.waitForResponse((r) => new URL(r.url()).pathname === '/push/key');
    // A click, not check(): check() insists the switch stays on, and the refusal below may already
    // have turned it back off by the time it looks.
    await toggle.click();
    expect((await asked).status()).toBe(200);
    // Chromium refuses push subscriptions in its incognito contexts, which every test context is:
    // the switch goes back off and says why.
    await visible(nia.page.getByRole('alert').filter({ hasText: "This browser's push service refused" }));
    expect(await toggle.isChecked()).toBe(false);
  });

  it('settings: push on this device, registered with and removed from the server', async () => {
    // The browser's push service is the one part replaced here (see above): a subscription with a
    // real P-256 key and auth secret, as PushManager would hand out, checked by the real server.
    await nia.page.evaluate(async () => {
      const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
        'deriveBits',
      ]);
      const b64url = (b: ArrayBuffer) =>
        btoa(String.fromCharCode(...new Uint8Array(b)))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const p256dh = b64url(await crypto.subtle.exportKey('raw', pair.publicKey));
      const auth = b64url(crypto.getRandomValues(new Uint8Array(16)).buffer);
      let current: PushSubscription | null = null;
      PushManager.prototype.getSubscription = () => Promise.resolve(current);
      PushManager.prototype.subscribe = (options?: PushSubscriptionOptionsInit) => {
        const endpoint = 'https://push.example.test/send/e2e-device';
        current = {
          endpoint,
          options: {
            applicationServerKey: (options?.applicationServerKey as Uint8Array).buffer,
            userVisibleOnly: true,
          },
          toJSON: () => ({ endpoint, keys: { p256dh, auth } }),
          unsubscribe: () => {
            current = null;
            return Promise.resolve(true);
          },
        } as unknown as PushSubscription;
        return Promise.resolve(current);
      };
    });
    const toggle = nia.page.getByRole('switch', { name: 'Push notifications on this device' });
    const posted = nia.page.waitForResponse((r) => new URL(r.url()).pathname === '/push/subscriptions');
    await toggle.check();
    const post = await posted;
    expect(post.request().method()).toBe('POST');
    expect(post.status()).toBe(201);
    expect(post.request().postDataJSON()).toMatchObject({
      endpoint: 'https://push.example.test/send/e2e-device',
      keys: {
        p256dh: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/),
        auth: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      },
    });
    await until(
      'the switch on',
      () => toggle.isChecked(),
      (v) => v,
    );
    await expectCount(nia.page.getByRole('alert'), 0);

    const deleted = nia.page.waitForResponse((r) => new URL(r.url()).pathname === '/push/subscriptions');
    await toggle.uncheck();
    const del = await deleted;
    expect(del.request().method()).toBe('DELETE');
    expect(del.status()).toBe(204);
    await until(
      'the switch off',
      async () => !(await toggle.isChecked()),
      (v) => v,
    );
  });

  it('settings: a link opened just as the channel list arrives stays on settings', async () => {
    const noor = await person(world, { name: 'noor' });
    // The address can change before its hashchange is handled; these hooks hold the event back so
    // that the channel list can arrive in between, every time rather than once in a while.
    await noor.context.addInitScript(() => {
      const w = window as unknown as { __holdHash: boolean };
      w.__holdHash = false;
      window.addEventListener('hashchange', (e) => {
        if (w.__holdHash) e.stopImmediatePropagation();
      });
    });
    let release = () => undefined as void;
    const listHeld = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await noor.page.route(
      (url) => url.pathname.endsWith('/channels'),
      async (route) => {
        if (route.request().method() !== 'GET') return route.continue();
        asked = true;
        await listHeld;
        await route.continue();
      },
    );
    try {
      await register(noor.page, 'noor', password);
      await until(
        'the channel list asked for',
        () => Promise.resolve(asked),
        (v) => v,
      );
      await noor.page.evaluate(() => {
        (window as unknown as { __holdHash: boolean }).__holdHash = true;
        window.location.hash = '#/settings';
      });
      release();
      await visible(noor.page.getByText('No conversations yet.'));
      // Now the app hears of the new address, as a late hashchange would tell it.
      await noor.page.evaluate(() => {
        (window as unknown as { __holdHash: boolean }).__holdHash = false;
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      });
      await visible(noor.page.getByText('Not allowed yet.'));
      expect(new URL(noor.page.url()).hash).toBe('#/settings');
      expect(noor.errors).toEqual([]);
    } finally {
      await noor.context.close();
    }
  });

  it('settings: never asked before, the button asks; blocked is explained', async () => {
    const nora = await person(world, { name: 'nora' });
    await nora.context.addInitScript(pageHooks);
    try {
      await register(nora.page, 'nora', password);
      await visible(nora.page.getByRole('heading', { name: 'Channels' }));
      await nora.page.goto('/#/settings');
      await visible(nora.page.getByText('Not allowed yet.'));
      expect(await nora.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0);
      await nora.page.getByRole('button', { name: 'Allow notifications' }).click();
      expect(await nora.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);
      // Headless Chromium answers the prompt with "denied": the page explains how to undo it.
      await visible(nora.page.getByText('Blocked.'));
      await visible(nora.page.getByText('set Notifications to Allow'));
      expect(nora.errors).toEqual([]);
    } finally {
      await nora.context.close();
    }
  });
});
