import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import QRCode from 'qrcode';
import type { Me, TotpSetup } from '@chat/contracts';
import type { ChatApi } from '../../api/chat-api';
import { ApiError, describeError } from '../../api/errors';
import { checkCode } from '../AuthScreen';
import { useRuntime } from '../runtime';

type TwoFactorApi = Pick<ChatApi, 'me' | 'setupTwoFactor' | 'enableTwoFactor' | 'disableTwoFactor'>;

/** The secret in groups of four, as people copy it into an app by hand (apps ignore the spaces). */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

/** What a refused code is called, in words a person acts on. */
function codeError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'VALIDATION' && /code is wrong/i.test(err.message))
    return 'That code is wrong. Enter the code your authenticator app shows now.';
  return describeError(err);
}

/**
 * Settings › Two-factor authentication: on or off, set-up (QR code, secret, recovery codes),
 * and turning it off with a code.
 */
export function TwoFactorSettings() {
  const { api } = useRuntime();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(
    () =>
      api.me().then(
        (m) => setMe(m),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <section className="settings-section" aria-labelledby="set-2fa">
      <h2 id="set-2fa">Two-factor authentication</h2>
      <p className="muted">
        Signing in asks for a code from an authenticator app on your phone as well as your password, so a
        stolen password alone does not open your account.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {me &&
        (me.totp ? (
          <TwoFactorOn required={me.totpRequired} api={api} onDisabled={() => void reload()} />
        ) : (
          <>
            <p className="settings-state" role="status">
              {me.totpRequired
                ? 'Off — required on this server: set it up now.'
                : 'Off. Signing in needs your password only.'}
            </p>
            <TotpSetupFlow api={api} onEnabled={() => void reload()} />
          </>
        ))}
    </section>
  );
}

function TwoFactorOn({
  required,
  api,
  onDisabled,
}: {
  required: boolean;
  api: TwoFactorApi;
  onDisabled: () => void;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Either kind: a current code, or a recovery code when the phone is gone.
    const asTotp = checkCode(code, false);
    const checked = asTotp.code ? asTotp : checkCode(code, true);
    if (checked.error) return setError('Enter the 6-digit code from your app, or a recovery code.');
    setBusy(true);
    setError(null);
    try {
      await api.disableTwoFactor(checked.code!);
      setCode('');
      onDisabled();
    } catch (err) {
      setError(codeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p className="settings-state" role="status">
        On. Signing in asks for a code from your authenticator app.
      </p>
      {required ? (
        <p className="field-hint">
          Two-factor authentication is required on this server: it cannot be turned off.
        </p>
      ) : (
        <form className="settings-form" onSubmit={submit} noValidate aria-label="Turn off two-factor">
          <div className="field">
            <label htmlFor={id}>Code to turn it off</label>
            <input
              id={id}
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={24}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              aria-describedby={`${id}-hint`}
            />
            <p className="field-hint" id={`${id}-hint`}>
              The code your app shows now, or one of your recovery codes.
            </p>
          </div>
          <button type="submit" className="secondary" disabled={busy}>
            Turn off two-factor
          </button>
        </form>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/**
 * Starting a set-up shows the QR code, the secret as text and the recovery codes (copy or
 * download them now: they are never shown again); a current code turns it on.
 */
export function TotpSetupFlow({ api, onEnabled }: { api: TwoFactorApi; onEnabled: () => void }) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    if (!setup) return;
    let live = true;
    QRCode.toDataURL(setup.otpauthUrl, { errorCorrectionLevel: 'M', margin: 1, width: 200 }).then(
      (url) => live && setQr(url),
      () => live && setQr(null),
    );
    return () => {
      live = false;
    };
  }, [setup]);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setSetup(await api.setupTwoFactor());
      setQr(null);
      setCode('');
      setCopied(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const enable = async (e: FormEvent) => {
    e.preventDefault();
    const checked = checkCode(code, false);
    if (checked.error) {
      setError(checked.error);
      return codeRef.current?.focus();
    }
    setBusy(true);
    setError(null);
    try {
      await api.enableTwoFactor(checked.code!);
      setSetup(null);
      onEnabled();
    } catch (err) {
      setError(codeError(err));
      setCode('');
      codeRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  const codesText = setup
    ? `Chat recovery codes (each works once, in place of a two-factor code)\n\n${setup.recoveryCodes.join('\n')}\n`
    : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codesText);
      setCopied(true);
    } catch {
      setError('Copying was not allowed here: select the codes and copy them, or download them.');
    }
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([codesText], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'chat-recovery-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  if (!setup)
    return (
      <>
        <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
          Set up two-factor authentication
        </button>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </>
    );

  return (
    <div className="totp-setup">
      <ol className="totp-steps">
        <li>
          <p>
            Scan this QR code with an authenticator app (such as Aegis, Google Authenticator or 1Password).
          </p>
          {qr ? (
            <img
              src={qr}
              width={200}
              height={200}
              alt="QR code to add this account to an authenticator app"
            />
          ) : (
            <p className="muted">Drawing the QR code…</p>
          )}
          <p>
            Or type this key into the app:{' '}
            <code aria-label="Secret key" data-secret={setup.secret}>
              {grouped(setup.secret)}
            </code>
          </p>
        </li>
        <li>
          <p>
            Keep these recovery codes somewhere safe. Each one signs you in once if you lose your phone; they
            are not shown again.
          </p>
          <ul className="totp-recovery" aria-label="Recovery codes">
            {setup.recoveryCodes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <div className="row">
            <button type="button" className="secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy codes'}
            </button>
            <button type="button" className="secondary" onClick={download}>
              Download as .txt
            </button>
          </div>
        </li>
        <li>
          <form className="settings-form" onSubmit={enable} noValidate aria-label="Turn on two-factor">
            <div className="field">
              <label htmlFor={id}>Code from the app</label>
              <input
                ref={codeRef}
                id={id}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={7}
                placeholder="123456"
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </div>
            <div className="row">
              <button type="submit" className="primary" disabled={busy}>
                Turn on two-factor
              </button>
              <button type="button" className="secondary" disabled={busy} onClick={() => void start()}>
                Start over
              </button>
            </div>
          </form>
        </li>
      </ol>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * When the sign-in settings require two-factor and this account has none, the set-up comes before
 * the chat (GitLab's model): until then the server answers the account's other calls with 403 and
 * refuses its socket, so the chat (`children`, which connects as it mounts) waits for this.
 * Everyone else goes straight through, after one read of their account.
 */
export function TwoFactorGate({ children }: { children: ReactNode }) {
  const { api, signOut } = useRuntime();
  const [me, setMe] = useState<Me | 'unknown' | null>(null);
  useEffect(() => {
    let live = true;
    api.me().then(
      (m) => live && setMe(m),
      // Unreadable now: the chat opens (and says what is wrong); settings still offer the set-up.
      () => live && setMe('unknown'),
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (me === null) return <p className="gate-loading" role="status" aria-busy="true" />;
  if (me === 'unknown') return <>{children}</>;
  if (!me.totpRequired || me.totp) return <>{children}</>;
  return (
    <main className="auth">
      <div className="auth-card">
        <h1>Set up two-factor authentication</h1>
        <p className="notice" role="status">
          This server requires two-factor authentication. Set it up to continue to the chat.
        </p>
        <TotpSetupFlow api={api} onEnabled={() => setMe({ ...me, totp: true })} />
        <p>
          <button type="button" className="link-btn" onClick={signOut}>
            Sign out
          </button>
        </p>
      </div>
    </main>
  );
}
