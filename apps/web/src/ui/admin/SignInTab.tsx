import { useEffect, useId, useState, type FormEvent } from 'react';
import type { SignInSettings } from '@chat/contracts';
import { describeError } from '../../api/errors';
import { useAdminApi } from './common';

const SWITCHES: { key: keyof SignInSettings; label: string; hint: string }[] = [
  {
    key: 'passwordLogin',
    label: 'Password sign-in and registration',
    hint: 'Off: people sign in through single sign-on only and nobody can register with a password. Admins keep their password as a way back in.',
  },
  {
    key: 'oidcCreateAccounts',
    label: 'Create accounts on first single sign-on',
    hint: 'On: anyone your identity provider lets through gets an account the first time. Off: only accounts already linked to it can sign in that way.',
  },
  {
    key: 'requireTotp',
    label: 'Require two-factor authentication',
    hint: 'Every account that signs in with a password must set up an authenticator app (yours first); until it does, it can reach only the set-up.',
  },
];

/** Sign-in settings (admin): three switches, saved together; every change is audited. */
export function SignInTab() {
  const api = useAdminApi();
  const [saved, setSaved] = useState<SignInSettings | null>(null);
  const [draft, setDraft] = useState<SignInSettings | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const baseId = useId();

  useEffect(() => {
    let live = true;
    api.signInSettings().then(
      (s) => {
        if (!live) return;
        setSaved(s);
        setDraft(s);
      },
      (err: unknown) => live && setError(`Could not load the settings: ${describeError(err)}`),
    );
    return () => {
      live = false;
    };
  }, [api]);

  const changed = !!draft && !!saved && SWITCHES.some((s) => draft[s.key] !== saved[s.key]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const next = await api.saveSignInSettings(draft);
      setSaved(next);
      setDraft(next);
      setResult('Saved. The new sign-in settings apply from the next sign-in.');
    } catch (err) {
      setError(`Not saved: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="admin-tab">
      <form className="settings-section admin-signin" onSubmit={(e) => void submit(e)}>
        {!draft && !error && <p className="muted">Loading…</p>}
        {draft &&
          SWITCHES.map((s) => (
            <div key={s.key} className="admin-switch">
              <label className="switch-row" htmlFor={`${baseId}-${s.key}`}>
                <input
                  id={`${baseId}-${s.key}`}
                  type="checkbox"
                  role="switch"
                  checked={draft[s.key]}
                  disabled={busy}
                  aria-describedby={`${baseId}-${s.key}-hint`}
                  onChange={(e) => {
                    setResult(null);
                    setDraft({ ...draft, [s.key]: e.target.checked });
                  }}
                />
                <span>{s.label}</span>
              </label>
              <p className="field-hint" id={`${baseId}-${s.key}-hint`}>
                {s.hint}
              </p>
            </div>
          ))}
        {draft && (
          <div className="row">
            <button type="submit" className="primary" disabled={busy || !changed}>
              {busy ? 'Saving…' : 'Save sign-in settings'}
            </button>
            {changed && (
              <button type="button" className="ghost" disabled={busy} onClick={() => setDraft(saved)}>
                Undo changes
              </button>
            )}
          </div>
        )}
        {result && (
          <p className="notice ok" role="status">
            {result}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
