import type { Notification as ChatNotification } from '@chat/contracts';
import { notificationTag, notificationUrl } from '../state/attention';
import type { NotifierPort } from '../state/ports';
import { currentRegistration, openInApp } from './registration';

/** The browser's notification permission, or `unsupported` where there is no Notification API. */
export type PermissionState = NotificationPermission | 'unsupported';

export function notificationPermission(): PermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks for permission: call only from a click (browsers ignore or penalise asking on load). */
export async function requestNotificationPermission(): Promise<PermissionState> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

const ICON = '/icons/icon-192.png';
const BADGE = '/icons/badge-72.png';

/**
 * System notifications while the page is hidden. Through the service worker when it is active —
 * so a click takes the same path as a Web Push one (the worker focuses this tab and routes it),
 * and so it works where `new Notification()` is not allowed (Chrome on Android) — else through
 * the page's own Notification. One tag per channel, with `renotify`: a burst in one channel
 * updates one notification and still alerts.
 */
export class BrowserNotifier implements NotifierPort {
  system(n: ChatNotification): void {
    if (notificationPermission() !== 'granted') return;
    const url = notificationUrl(n);
    const options: NotificationOptions & { renotify: boolean } = {
      body: n.body,
      tag: notificationTag(n.channelId),
      renotify: true,
      icon: ICON,
      badge: BADGE,
      data: { url },
    };
    void currentRegistration()
      .then((reg) => (reg ? reg.showNotification(n.title, options) : this.inPage(n.title, options, url)))
      .catch(() => this.inPage(n.title, options, url));
  }

  private inPage(title: string, options: NotificationOptions, url: string): void {
    try {
      const shown = new Notification(title, options);
      shown.onclick = () => {
        window.focus();
        openInApp(url);
        shown.close();
      };
    } catch {
      // The constructor is refused (some mobile browsers): the title and badge still say it.
    }
  }
}
