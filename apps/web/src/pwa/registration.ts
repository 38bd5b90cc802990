import type { WorkerMessage } from './sw-policy';

/**
 * The page's side of the service worker (public/sw.js, built from src/sw): registered on every
 * load, since it is also what keeps the app shell for offline starts.
 */

let registering: Promise<ServiceWorkerRegistration | null> | null = null;

const supported = (): boolean => typeof navigator !== 'undefined' && 'serviceWorker' in navigator;

/** Registers /sw.js (scope `/`) once; null where service workers are unavailable or it failed. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!supported()) return Promise.resolve(null);
  registering ??= navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
    // Plain http off localhost, a private window that forbids it, the dev server (no /sw.js):
    // the app works without, minus offline starts and push.
    console.warn('Service worker not registered:', err);
    return null;
  });
  return registering;
}

/** The active registration, waiting for it to activate if it is installing; null without one. */
export async function activeRegistration(): Promise<ServiceWorkerRegistration | null> {
  const reg = await registerServiceWorker();
  if (!reg) return null;
  if (reg.active) return reg;
  // Installing (first visit): `ready` resolves once it activates.
  return navigator.serviceWorker.ready;
}

/** The registration if its worker is already active (never waits). */
export async function currentRegistration(): Promise<ServiceWorkerRegistration | null> {
  if (!supported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/').catch(() => undefined);
  return reg?.active ? reg : null;
}

/** Messages from the worker (a notification clicked, a push for a tab in front); the unsubscribe. */
export function onWorkerMessage(handler: (m: WorkerMessage) => void): () => void {
  if (!supported()) return () => undefined;
  const listener = (e: MessageEvent<unknown>) => {
    // Only our own worker posts to this page; still, read nothing that is not one of our shapes.
    if (e.origin && e.origin !== window.location.origin) return;
    const m = e.data as Partial<WorkerMessage> | null;
    if (m?.type === 'chat:open' && typeof m.url === 'string') handler({ type: 'chat:open', url: m.url });
    else if (m?.type === 'chat:notification' && m.notification && typeof m.notification === 'object')
      handler({ type: 'chat:notification', notification: m.notification });
  };
  navigator.serviceWorker.addEventListener('message', listener);
  return () => navigator.serviceWorker.removeEventListener('message', listener);
}

/**
 * Routes the app to a same-origin URL in place (a hash route, so no reload): the permalink
 * `#/c/<id>/m/<seq>` opens the channel at the message. Going to the hash already shown still
 * re-opens it (the person clicked again).
 */
export function openInApp(url: string): void {
  let target: URL;
  try {
    target = new URL(url, window.location.href);
  } catch {
    return;
  }
  if (target.origin !== window.location.origin) return;
  if (target.hash && target.hash !== window.location.hash) {
    window.location.hash = target.hash;
  } else if (target.hash) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}
