import type { ChatApi } from '../api/chat-api';
import { ApiError } from '../api/errors';
import { activeRegistration, currentRegistration } from './registration';

/**
 * "Push notifications on this device": a Web Push subscription of this browser (with the
 * server's VAPID key), registered with the server so it can reach the person when no tab of the
 * app is open.
 */
export type PushState = 'unsupported' | 'off' | 'on';

export function pushSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    typeof Notification !== 'undefined'
  );
}

export async function pushState(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const reg = await currentRegistration();
  const sub = await reg?.pushManager.getSubscription().catch(() => null);
  return sub ? 'on' : 'off';
}

/** base64url (the VAPID public key as the server gives it) to bytes for `applicationServerKey`. */
export function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(s.length / 4) * 4, '=');
  const bin = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const sameKey = (a: ArrayBuffer | null, b: Uint8Array): boolean => {
  if (!a || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
};

/** The subscription as the contract's POST /push/subscriptions wants it, or null if incomplete. */
function wireSubscription(
  sub: PushSubscription,
): { endpoint: string; keys: { p256dh: string; auth: string } } | null {
  const json = sub.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  return json.endpoint && p256dh && auth ? { endpoint: json.endpoint, keys: { p256dh, auth } } : null;
}

/**
 * Subscribes this browser and tells the server. Asks for notification permission first if it was
 * never asked (this runs from the person's click on the toggle). A subscription made for another
 * server key (keys rotated) is replaced; one the server refuses is undone, so the toggle never
 * shows "on" for a device the server cannot reach.
 */
export async function enablePush(api: ChatApi): Promise<void> {
  if (!pushSupported()) throw new Error('This browser cannot receive push notifications.');
  if (Notification.permission === 'default') await Notification.requestPermission();
  if (Notification.permission !== 'granted') {
    throw new Error('Notifications are blocked for this site, so push cannot be turned on.');
  }
  const reg = await activeRegistration();
  if (!reg) throw new Error('The app could not install its service worker in this browser.');
  const { publicKey } = await api.pushKey().catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 'NOT_FOUND') {
      throw new Error('Push notifications are not enabled on this server.');
    }
    throw err;
  });
  const key = base64UrlToBytes(publicKey);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub.options.applicationServerKey, key)) {
    await sub.unsubscribe().catch(() => undefined);
    sub = null;
  }
  try {
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (err) {
    throw new Error(`This browser's push service refused the subscription (${describe(err)}).`);
  }
  const wire = wireSubscription(sub);
  try {
    if (!wire) throw new Error('The browser gave an incomplete subscription.');
    await api.subscribePush(wire);
  } catch (err) {
    await sub.unsubscribe().catch(() => undefined);
    throw err;
  }
}

/** Forgets this device on the server and unsubscribes the browser (each done even if the other fails). */
export async function disablePush(api: ChatApi): Promise<void> {
  const reg = await currentRegistration();
  const sub = await reg?.pushManager.getSubscription().catch(() => null);
  if (!sub) return;
  const failure = await api.unsubscribePush(sub.endpoint).then(
    () => null,
    // Already gone on the server is what we wanted.
    (err: unknown) =>
      err instanceof ApiError && err.code === 'NOT_FOUND'
        ? null
        : err instanceof Error
          ? err
          : new Error(String(err)),
  );
  // The browser's side goes anyway: a subscription the server still holds is dropped the first
  // time its push service answers 404/410.
  await sub.unsubscribe().catch(() => undefined);
  if (failure) throw failure;
}

/**
 * On start: a subscription this browser still holds is registered again (idempotent on the
 * server), so a push service that rotated it, or a server that dropped it, is brought back in line.
 */
export async function resyncPush(api: ChatApi): Promise<void> {
  if (!pushSupported() || Notification.permission !== 'granted') return;
  const reg = await currentRegistration();
  const sub = await reg?.pushManager.getSubscription().catch(() => null);
  const wire = sub && wireSubscription(sub);
  if (wire) await api.subscribePush(wire).catch(() => undefined);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
