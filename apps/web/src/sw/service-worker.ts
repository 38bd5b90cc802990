import { notificationTag } from '../state/attention';
import {
  parsePushPayload,
  pickWindow,
  sameOriginUrl,
  someoneLooking,
  strategyFor,
  type WorkerMessage,
} from '../pwa/sw-policy';

/**
 * The service worker, served at /sw.js with scope `/` (built by the `service-worker` plugin in
 * vite.config.ts, which fills in the two constants below). It shows Web Push notifications,
 * opens the right conversation when one is clicked, and keeps the app shell so an installed app
 * opens offline. It never caches what the services answer (see SERVICE_PREFIXES).
 */
declare const self: ServiceWorkerGlobalScope;
/** The app shell: index.html (as `/`), the entry script and stylesheet, icons and manifest. */
declare const __SHELL__: string[];
/** Changes with any file of the shell, so a new build installs a new cache and drops the old. */
declare const __VERSION__: string;

const SHELL_CACHE = `chat-shell-${__VERSION__}`;
/** Hashed build files fetched on demand (lazy chunks); a hashed name never changes content. */
const ASSET_CACHE = 'chat-assets';
const ICON = '/icons/icon-192.png';
const BADGE = '/icons/badge-72.png';
const origin = self.location.origin;

/**
 * A handler's work keeps the worker alive until it settles. An event dispatched by hand (DevTools,
 * or a test through the DevTools protocol) cannot be extended and throws; the work runs anyway.
 */
function extend(event: ExtendableEvent, work: Promise<unknown>): void {
  try {
    event.waitUntil(work);
  } catch {
    void work.catch(() => undefined);
  }
}

self.addEventListener('install', (event) => {
  extend(
    event,
    caches
      .open(SHELL_CACHE)
      // `reload`: the shell comes from the server, not from the HTTP cache of an older build.
      .then((cache) => cache.addAll(__SHELL__.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  extend(
    event,
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('chat-shell-') && key !== SHELL_CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const strategy = strategyFor(event.request, origin);
  if (strategy === 'network') return;
  event.respondWith(
    strategy === 'shell'
      ? page(event.request)
      : strategy === 'asset'
        ? asset(event.request)
        : fresh(event.request),
  );
});

/** A page load: the server's index.html (kept as the shell), or the kept one when offline. */
async function page(request: Request): Promise<Response> {
  try {
    const res = await fetch(request);
    if (res.ok && (res.headers.get('content-type') ?? '').startsWith('text/html')) {
      const copy = res.clone();
      void caches.open(SHELL_CACHE).then((c) => c.put('/', copy));
    }
    return res;
  } catch {
    const kept = await caches.match('/', { cacheName: SHELL_CACHE });
    return kept ?? Response.error();
  }
}

async function asset(request: Request): Promise<Response> {
  const kept = await caches.match(request);
  if (kept) return kept;
  const res = await fetch(request);
  if (res.ok) {
    const copy = res.clone();
    void caches.open(ASSET_CACHE).then((c) => c.put(request, copy));
  }
  return res;
}

async function fresh(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch {
    return (await caches.match(request, { ignoreSearch: true })) ?? Response.error();
  }
}

// --- Web Push ---

self.addEventListener('push', (event) => {
  let text: string | null = null;
  try {
    text = event.data?.text() ?? null;
  } catch {
    text = null;
  }
  extend(event, showPush(text));
});

async function showPush(text: string | null): Promise<void> {
  const view = parsePushPayload(text, origin);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (view?.notification && someoneLooking(windows, origin)) {
    // The person is in the app: the tab shows it its own way (a toast), not the system.
    const message: WorkerMessage = { type: 'chat:notification', notification: view.notification };
    for (const w of windows) w.postMessage(message);
    return;
  }
  // Browsers require a notification for every push; one we cannot read still says something came.
  const shown = view ?? {
    title: 'New activity',
    body: '',
    tag: notificationTag('unknown'),
    url: `${origin}/`,
  };
  // `renotify` is not in TypeScript's NotificationOptions; the same tag alerts again with it.
  const options: NotificationOptions & { renotify: boolean } = {
    body: shown.body,
    tag: shown.tag,
    renotify: true,
    icon: ICON,
    badge: BADGE,
    data: { url: shown.url },
  };
  await self.registration.showNotification(shown.title, options);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown } | null;
  extend(event, openApp(sameOriginUrl(data?.url, origin)));
});

/** Brings an open window of the app forward and routes it in-app to `url`, or opens one there. */
async function openApp(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const i = pickWindow(windows, origin);
  if (i < 0) {
    await self.clients.openWindow(url);
    return;
  }
  const target = windows[i];
  // Focus needs the click's user activation; routing does not, so it happens either way.
  await target.focus().catch(() => undefined);
  const message: WorkerMessage = { type: 'chat:open', url };
  target.postMessage(message);
}
