import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AccountDeletionPolicy } from '@chat/contracts';
import { ApiError, describeError } from '../../api/errors';
import { Dialog } from '../dialogs';
import { useRuntime } from '../runtime';

/** The name the server gives the archive too (its Content-Disposition), for the browser's download. */
function exportFileName(username: string): string {
  return `chat-export-${username}-${new Date().toISOString().slice(0, 10)}.json`;
}

/** Hands a blob to the browser as a download. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // After the click has been handled: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * "Your data": a copy of everything the person wrote and uploaded (GET /auth/me/export), and the
 * deletion of their account (DELETE /auth/me), which signs them out.
 */
export function AccountData() {
  const { api } = useRuntime();
  const [username, setUsername] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  useEffect(() => {
    let live = true;
    api.me().then(
      (me) => live && setUsername(me.username),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const download = async () => {
    if (!username) return;
    setDownloading(true);
    setError(null);
    try {
      saveBlob(await api.exportData(), exportFileName(username));
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'RATE_LIMITED'
          ? 'A download of your data is already being prepared. Try again when it has finished.'
          : describeError(err),
      );
    } finally {
      setDownloading(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="set-data">
      <h2 id="set-data">Your data</h2>
      <p className="muted">
        Download a copy of your account, the channels you are in, and every message, file and reaction of
        yours, as one JSON file.
      </p>
      <div className="row">
        <button
          type="button"
          className="secondary"
          disabled={!username || downloading}
          onClick={() => void download()}
        >
          {downloading ? 'Preparing…' : 'Download my data'}
        </button>
        <button type="button" className="danger" disabled={!username} onClick={() => setDeleting(true)}>
          Delete account…
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {deleting && username && <DeleteAccountDialog username={username} onClose={() => setDeleting(false)} />}
    </section>
  );
}

function DeleteAccountDialog({ username, onClose }: { username: string; onClose: () => void }) {
  const { api, signOut } = useRuntime();
  const [policy, setPolicy] = useState<AccountDeletionPolicy | null>(null);
  const [secret, setSecret] = useState('');
  const [eraseMessages, setEraseMessages] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { secret: useId(), err: useId(), erase: useId() };

  useEffect(() => {
    let live = true;
    api.deletionPolicy().then(
      (p) => live && setPolicy(p),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const byUsername = policy?.confirmWith === 'username';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!policy || !secret) return;
    setBusy(true);
    setError(null);
    try {
      await api.deleteAccount({
        ...(byUsername ? { confirm: secret } : { password: secret }),
        ...(policy.eraseMessages === 'allowed' ? { eraseMessages } : {}),
      });
      signOut();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'FORBIDDEN'
          ? 'That password is not correct.'
          : describeError(err),
      );
      setBusy(false);
    }
  };

  return (
    <Dialog title="Delete your account" onClose={onClose}>
      <form onSubmit={submit} className="dialog-body">
        <p>
          Your profile (name, email, sign-in methods) is erased and you are signed out everywhere. This cannot
          be undone.{' '}
          {policy?.eraseMessages === 'allowed' && !eraseMessages
            ? 'Your messages stay in their channels, shown as written by “deleted user”, unless you choose below to delete them too.'
            : eraseMessages
              ? 'Your messages are deleted too.'
              : 'Your messages stay in their channels, shown as written by “deleted user”.'}
        </p>
        <div className="field">
          <label htmlFor={ids.secret}>
            {byUsername ? `Type your username (${username}) to confirm` : 'Your password'}
          </label>
          <input
            id={ids.secret}
            type={byUsername ? 'text' : 'password'}
            autoComplete={byUsername ? 'off' : 'current-password'}
            value={secret}
            disabled={!policy}
            onChange={(e) => setSecret(e.target.value)}
            autoFocus
            aria-invalid={!!error}
            aria-describedby={error ? ids.err : undefined}
          />
        </div>
        {policy?.eraseMessages === 'allowed' && (
          <label className="switch-row" htmlFor={ids.erase}>
            <input
              id={ids.erase}
              type="checkbox"
              checked={eraseMessages}
              onChange={(e) => setEraseMessages(e.target.checked)}
            />
            <span>Also delete every message I wrote</span>
          </label>
        )}
        {error && (
          <p className="form-error" role="alert" id={ids.err}>
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || !policy || !secret}>
            {busy ? 'Deleting…' : 'Delete my account'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
