import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { Me } from '@chat/contracts';
import { describeError } from '../api/errors';
import { notificationPermission, requestNotificationPermission, type PermissionState } from '../pwa/notifier';
import { disablePush, enablePush, pushState, type PushState } from '../pwa/push';
import { emailOutcome, SETTINGS_HASH } from '../util/permalink';
import { BellIcon, MenuIcon } from './icons';
import { useRuntime } from './runtime';
import { AccountData } from './settings/AccountData';
import { TwoFactorSettings } from './settings/TwoFactorSettings';

/**
 * `#/settings`: how this person is reached — system notifications in this browser, Web Push on
 * this device, digest emails — with the state of each said plainly. Per-channel levels live in
 * each channel's header (the bell).
 */
export function Settings({ onShowNav }: { onShowNav: () => void }) {
  return (
    <main className="conversation settings" aria-label="Settings">
      <header className="conv-head">
        <button
          type="button"
          className="icon-btn only-phone"
          aria-label="Open channel list"
          onClick={onShowNav}
        >
          <MenuIcon />
        </button>
        <div className="conv-title">
          <h1>Settings</h1>
        </div>
      </header>
      <div className="settings-body">
        <EmailOutcome />
        <BrowserNotifications />
        <PushOnThisDevice />
        <EmailSettings />
        <TwoFactorSettings />
        <section className="settings-section" aria-labelledby="set-channels">
          <h2 id="set-channels">Per channel</h2>
          <p className="muted">
            Each channel’s bell (<BellIcon />) in its header sets what notifies you there — all new messages,
            mentions only, or nothing — and mutes it. Direct messages notify you of every message unless you
            change them; channels, of mentions.
          </p>
        </section>
        <AccountData />
      </div>
    </main>
  );
}

/** The verification link's redirect lands on `#/settings?email=verified|invalid`. */
function EmailOutcome() {
  const [outcome, setOutcome] = useState(
    () => emailOutcome(window.location.hash) ?? emailOutcome(`#/settings${window.location.search}`),
  );
  useEffect(() => {
    // The link may also land on a tab that already shows the settings.
    const onHash = () => {
      const next = emailOutcome(window.location.hash);
      if (next) setOutcome(next);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    // Said once: a reload should not say it again.
    if (outcome) history.replaceState(null, '', `${window.location.pathname}${SETTINGS_HASH}`);
  }, [outcome]);
  if (outcome === 'verified') {
    return (
      <p className="notice ok" role="status">
        Your email address is verified. Digests of what you miss will go there.
      </p>
    );
  }
  if (outcome === 'invalid') {
    return (
      <p className="form-error" role="alert">
        That verification link is not valid any more (used, expired, or for another address). Save your
        address again below to get a new one.
      </p>
    );
  }
  return null;
}

function usePermission(): [PermissionState, () => void] {
  const [state, setState] = useState<PermissionState>(notificationPermission);
  useEffect(() => {
    // The person may change it in the browser's site settings while this page is open.
    let status: PermissionStatus | null = null;
    const update = () => setState(notificationPermission());
    navigator.permissions
      ?.query({ name: 'notifications' })
      .then((s) => {
        status = s;
        s.addEventListener('change', update);
      })
      .catch(() => undefined);
    window.addEventListener('focus', update);
    return () => {
      status?.removeEventListener('change', update);
      window.removeEventListener('focus', update);
    };
  }, []);
  return [state, () => setState(notificationPermission())];
}

function BrowserNotifications() {
  const [permission, refresh] = usePermission();
  const [asking, setAsking] = useState(false);
  const ask = async () => {
    setAsking(true);
    try {
      await requestNotificationPermission();
    } finally {
      setAsking(false);
      refresh();
    }
  };
  return (
    <section className="settings-section" aria-labelledby="set-browser">
      <h2 id="set-browser">Notifications in this browser</h2>
      <p className="settings-state" data-permission={permission}>
        {permission === 'granted'
          ? 'Allowed. While this tab is in the background, messages that concern you show as system notifications.'
          : permission === 'denied'
            ? 'Blocked.'
            : permission === 'unsupported'
              ? 'This browser cannot show system notifications.'
              : 'Not allowed yet. You will see new messages in the tab only.'}
      </p>
      {permission === 'default' && (
        <button type="button" className="primary" disabled={asking} onClick={() => void ask()}>
          Allow notifications
        </button>
      )}
      {permission === 'denied' && (
        <p className="field-hint">
          Your browser blocks notifications from this site, and a page cannot ask again. To allow them, open
          this site’s settings (the icon left of the address bar), set Notifications to Allow, then reload the
          page.
        </p>
      )}
    </section>
  );
}

function PushOnThisDevice() {
  const { api } = useRuntime();
  const [state, setState] = useState<PushState | null>(null);
  /** While a change is under way: the state asked for, shown at once. */
  const [pending, setPending] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const busy = pending !== null;
  const reload = useCallback(() => pushState().then(setState), []);
  useEffect(() => {
    void reload();
  }, [reload]);
  const toggle = async (on: boolean) => {
    setPending(on);
    setError(null);
    let failure: string | null = null;
    try {
      await (on ? enablePush(api) : disablePush(api));
    } catch (err) {
      failure = describeError(err);
    }
    await reload().catch(() => undefined);
    // One render: the switch shows what this device now holds as the reason appears, never a
    // refusal beside a switch still showing the state that was asked for.
    setError(failure);
    setPending(null);
  };
  const unsupported = state === 'unsupported';
  return (
    <section className="settings-section" aria-labelledby="set-push">
      <h2 id="set-push">Push notifications</h2>
      <label className="switch-row" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={pending ?? state === 'on'}
          disabled={busy || state === null || unsupported}
          aria-describedby={`${id}-hint`}
          onChange={(e) => void toggle(e.target.checked)}
        />
        <span>Push notifications on this device</span>
      </label>
      <p className="field-hint" id={`${id}-hint`}>
        {unsupported
          ? 'This browser cannot receive push notifications (on an iPhone or iPad, add the app to the Home Screen first).'
          : 'Reaches you when no tab of the app is open — also in the installed app. Turning it off forgets this device.'}
      </p>
      {busy && <p className="muted">Working…</p>}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function EmailSettings() {
  const { api } = useRuntime();
  const [me, setMe] = useState<Me | null>(null);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const id = useId();

  useEffect(() => {
    let live = true;
    api.me().then(
      (m) => {
        if (!live) return;
        setMe(m);
        setDraft(m.email ?? '');
      },
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const save = async (patch: { email?: string | null; emailNotifications?: boolean }) => {
    const before = me;
    // A switch follows the hand at once; a refusal puts it back.
    if (me && patch.emailNotifications !== undefined)
      setMe({ ...me, emailNotifications: patch.emailNotifications });
    setBusy(true);
    setError(null);
    try {
      const next = await api.updateMe(patch);
      setMe(next);
      setDraft(next.email ?? '');
      if ('email' in patch) setSent(!!next.email && !next.emailVerified);
    } catch (err) {
      setMe(before);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const email = draft.trim();
    if (email === (me?.email ?? '')) return;
    void save({ email: email || null });
  };

  return (
    <section className="settings-section" aria-labelledby="set-email">
      <h2 id="set-email">Email</h2>
      <p className="muted">
        When you have been away (no tab open) and something concerns you, one email sums it up — once per
        stretch, never twice for the same messages.
      </p>
      {me && (
        <p className="settings-state" role="status">
          {me.email
            ? me.emailVerified
              ? `${me.email} — verified.`
              : sent
                ? `Verification sent to ${me.email}. Open the link in that email to start receiving digests.`
                : `${me.email} — not verified yet. Open the link we sent, or save the address again for a new one.`
            : 'No email address set.'}
        </p>
      )}
      <form className="settings-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={id}>Email address</label>
          <input
            id={id}
            type="email"
            autoComplete="email"
            maxLength={254}
            value={draft}
            disabled={!me}
            onChange={(e) => setDraft(e.target.value)}
          />
        </div>
        <div className="row">
          <button type="submit" className="primary" disabled={busy || !me}>
            Save address
          </button>
          {me?.email && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => void save({ email: null })}
            >
              Remove address
            </button>
          )}
        </div>
      </form>
      <label className="switch-row">
        <input
          type="checkbox"
          role="switch"
          checked={me?.emailNotifications ?? false}
          disabled={busy || !me}
          onChange={(e) => void save({ emailNotifications: e.target.checked })}
        />
        <span>Email digests of what I miss</span>
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
