import type { Notification } from '@chat/contracts';
import { notificationTag, notificationUrl } from '../state/attention';

/**
 * The service worker's decisions, as plain functions (no worker globals), so they are unit
 * tested here and the worker (src/sw/service-worker.ts) only wires them to its events.
 */

/** Paths the services answer (the front door's routes): never cached, always the network. */
export const SERVICE_PREFIXES = [
  '/auth',
  '/files',
  '/socket.io',
  '/channels',
  '/messages',
  '/dms',
  '/search',
  '/users',
  '/push',
  '/hooks',
] as const;

/**
 * How the worker answers a request: `shell` (a page load: network first, the cached app shell
 * when the network fails), `asset` (a hashed build file under /assets/: cache first, since its
 * name changes with its content), `static` (another file of the app: network first, cache as
 * fallback), `network` (not ours to touch: API calls, other origins, anything but GET).
 */
export type FetchStrategy = 'shell' | 'asset' | 'static' | 'network';

export function strategyFor(
  req: { method: string; url: string; mode: string },
  origin: string,
): FetchStrategy {
  if (req.method !== 'GET') return 'network';
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return 'network';
  }
  if (url.origin !== origin) return 'network';
  const path = url.pathname;
  if (SERVICE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return 'network';
  if (req.mode === 'navigate') return 'shell';
  if (path.startsWith('/assets/')) return 'asset';
  // The worker's own script is fetched by the browser's update check, never through the worker.
  if (path === '/sw.js') return 'network';
  return 'static';
}

/** What a push shows: a notification's title and body, its per-channel tag, and where a click goes. */
export interface PushView {
  title: string;
  body: string;
  tag: string;
  /** Same-origin, absolute. */
  url: string;
  /** The contract's notification, for a visible tab that shows it as a toast instead. */
  notification: Notification | null;
}

/** A Web Push payload is at most 4 KB; anything larger is not ours. */
const PAYLOAD_MAX = 4096;
const TITLE_MAX = 200;
const BODY_MAX = 500;

const str = (v: unknown, max: number): string | null =>
  typeof v === 'string' ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null;

/**
 * Reads a push message's data (the contract's Notification plus `url` and `tag`). Whatever it
 * holds, the result is safe to show: text is bounded, and the click target is a path of this
 * origin (a payload cannot send the person to another site). Null when it is not JSON at all.
 */
export function parsePushPayload(text: string | null | undefined, origin: string): PushView | null {
  if (!text || text.length > PAYLOAD_MAX) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const d = data as Record<string, unknown>;
  const channelId = str(d.channelId, 64);
  const seq = typeof d.seq === 'number' && Number.isSafeInteger(d.seq) && d.seq > 0 ? d.seq : null;
  const title = str(d.title, TITLE_MAX) || 'New message';
  const body = str(d.body, BODY_MAX) ?? '';
  const fallback = channelId && seq ? notificationUrl({ channelId, seq }) : '/';
  const url = sameOriginUrl(typeof d.url === 'string' ? d.url : fallback, origin);
  const tag = str(d.tag, 100) || (channelId ? notificationTag(channelId) : 'chat');
  const kind = d.kind;
  const notification: Notification | null =
    channelId &&
    seq &&
    typeof d.messageId === 'string' &&
    (kind === 'mention' || kind === 'dm' || kind === 'reply' || kind === 'message')
      ? { kind, channelId, messageId: d.messageId, seq, title, body }
      : null;
  return { title, body, tag, url, notification };
}

/** `url` resolved against this origin, or the app's start page when it points anywhere else. */
export function sameOriginUrl(url: unknown, origin: string): string {
  if (typeof url !== 'string') return `${origin}/`;
  try {
    const u = new URL(url, `${origin}/`);
    return u.origin === origin ? u.href : `${origin}/`;
  } catch {
    return `${origin}/`;
  }
}

/** A window of ours as the worker sees it (WindowClient's fields that matter here). */
export interface WindowView {
  url: string;
  focused: boolean;
  visibilityState: string;
}

/**
 * Which open window a notification click should bring forward: the focused one, else a visible
 * one, else any window of the app; -1 when none is open (the worker opens one).
 */
export function pickWindow(windows: readonly WindowView[], origin: string): number {
  const ours = windows.map((w, i) => ({ w, i })).filter(({ w }) => sameOrigin(w.url, origin));
  const best =
    ours.find(({ w }) => w.focused) ?? ours.find(({ w }) => w.visibilityState === 'visible') ?? ours[0];
  return best ? best.i : -1;
}

/** Whether a window of ours is in front of the person (a push then shows in the tab, not the system). */
export const someoneLooking = (windows: readonly WindowView[], origin: string): boolean =>
  windows.some((w) => sameOrigin(w.url, origin) && w.visibilityState === 'visible' && w.focused);

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** Messages between the worker and the page. */
export type WorkerMessage =
  /** A notification was clicked: route the app to `url` (same origin). */
  | { type: 'chat:open'; url: string }
  /** A push arrived while this tab was in front: show it as the tab would a `notification`. */
  | { type: 'chat:notification'; notification: Notification };
