import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { LIMITS, type AuthResult } from '@chat/contracts';
import type { AuthApi } from '../api/chat-api';
import { ApiError, describeError, formatWait } from '../api/errors';
import { SsoButton, useSignInOptions } from './SsoButton';

type Mode = 'login' | 'register';
/** A login is the password, then — when the server asks for it — the two-factor code. */
type Step = 'password' | 'code';

/** The server's 401 once the password is right and the account has two-factor: ask for the code. */
const CODE_REQUIRED = /two-factor code is required/i;
const CODE_WRONG = /two-factor code is wrong/i;
/** Longest code the server takes (a recovery code with spaces). */
const CODE_MAX = 24;

/** Client-side checks with the contract's limits, so most mistakes are caught before a round trip. */
export function validateCredentials(
  mode: Mode,
  username: string,
  password: string,
): { username?: string; password?: string } {
  const errors: { username?: string; password?: string } = {};
  const u = username.trim();
  if (!u) errors.username = 'Enter a username.';
  else if (mode === 'register') {
    if (u.length < LIMITS.usernameMin || u.length > LIMITS.usernameMax) {
      errors.username = `Usernames are ${LIMITS.usernameMin}–${LIMITS.usernameMax} characters long.`;
    } else if (!LIMITS.usernamePattern.test(u)) {
      errors.username = 'Use only letters, digits, dots, dashes and underscores.';
    }
  }
  if (!password) errors.password = 'Enter a password.';
  else if (
    mode === 'register' &&
    (password.length < LIMITS.passwordMin || password.length > LIMITS.passwordMax)
  ) {
    errors.password = `Passwords are ${LIMITS.passwordMin}–${LIMITS.passwordMax} characters long.`;
  }
  return errors;
}

/** The code as the server wants it, or why it cannot be one: six digits, or a recovery code. */
export function checkCode(raw: string, recovery: boolean): { code?: string; error?: string } {
  if (recovery) {
    const code = raw.trim();
    if (!code) return { error: 'Enter one of your recovery codes.' };
    if (code.length > CODE_MAX || !/^[A-Za-z0-9 -]+$/.test(code))
      return { error: 'Recovery codes look like abcd-efgh-ijkl.' };
    return { code };
  }
  const code = raw.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(code)) return { error: 'Enter the 6-digit code from your authenticator app.' };
  return { code };
}

export function AuthScreen({
  api,
  notice,
  onSignedIn,
}: {
  api: AuthApi;
  /** Why the person is here again (their session ended), shown above the form. */
  notice?: string | null;
  onSignedIn: (r: AuthResult) => void;
}) {
  const [mode, setMode] = useState<Mode>('login');
  const [step, setStep] = useState<Step>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<{ username?: string; password?: string; code?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  /** With password sign-in off, the form stays behind the "Administrator sign-in" link. */
  const [adminForm, setAdminForm] = useState(false);
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const ids = {
    user: useId(),
    pass: useId(),
    code: useId(),
    userErr: useId(),
    passErr: useId(),
    codeErr: useId(),
    codeHint: useId(),
    formErr: useId(),
  };
  const options = useSignInOptions(api);
  const passwordOff = options?.passwordLogin === false;

  const waiting = waitUntil > now;
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [waiting]);
  useEffect(() => {
    // The wait is over: the rate-limit message no longer applies.
    if (waitUntil && !waiting) setFormError(null);
  }, [waitUntil, waiting]);
  useEffect(() => {
    // No registrations while password sign-in is off.
    if (passwordOff) setMode('login');
  }, [passwordOff]);
  useEffect(() => {
    if (step === 'code') codeRef.current?.focus();
  }, [step, recovery]);

  const switchMode = (m: Mode) => {
    setMode(m);
    setStep('password');
    setFieldErrors({});
    setFormError(null);
  };

  const backToPassword = () => {
    setStep('password');
    setCode('');
    setRecovery(false);
    setFieldErrors({});
    setFormError(null);
  };

  const toggleRecovery = () => {
    setRecovery((r) => !r);
    setCode('');
    setFieldErrors({});
    setFormError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || waiting) return;
    let sentCode: string | undefined;
    if (step === 'code') {
      const checked = checkCode(code, recovery);
      setFieldErrors(checked.error ? { code: checked.error } : {});
      setFormError(null);
      if (checked.error) return codeRef.current?.focus();
      sentCode = checked.code;
    } else {
      const errors = validateCredentials(mode, username, password);
      setFieldErrors(errors);
      setFormError(null);
      if (errors.username) return userRef.current?.focus();
      if (errors.password) return passRef.current?.focus();
    }
    setBusy(true);
    try {
      const u = username.trim();
      const result =
        mode === 'login' ? await api.login(u, password, sentCode) : await api.register(u, password);
      onSignedIn(result);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.code === 'CONFLICT') {
          setFieldErrors({ username: `The username “${username.trim()}” is taken. Try another one.` });
          userRef.current?.focus();
        } else if (err.code === 'UNAUTHORIZED' && CODE_REQUIRED.test(err.message)) {
          setStep('code');
        } else if (err.code === 'UNAUTHORIZED' && CODE_WRONG.test(err.message)) {
          setFieldErrors({
            code: recovery
              ? 'That recovery code is wrong or was already used.'
              : 'That code is wrong. Check your authenticator app and enter the current code.',
          });
          setCode('');
          codeRef.current?.focus();
        } else if (err.code === 'UNAUTHORIZED') {
          // The password itself was refused (changed meanwhile, or mistyped): start over.
          backToPassword();
          setFormError('Wrong username or password.');
          passRef.current?.select();
        } else if (err.code === 'RATE_LIMITED') {
          const secs = err.retryAfter ?? 60;
          setWaitUntil(Date.now() + secs * 1000);
          setNow(Date.now());
          setFormError(describeError(err));
        } else if (err.code === 'VALIDATION' || err.code === 'FORBIDDEN') {
          setFormError(err.message);
        } else {
          setFormError(describeError(err));
        }
      } else {
        setFormError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const remaining = Math.max(0, Math.ceil((waitUntil - now) / 1000));
  const isLogin = mode === 'login';
  const showForm = !passwordOff || adminForm;
  const errorLine = formError && (
    <p className="form-error" role="alert" id={ids.formErr}>
      {waiting ? `Too many attempts. Try again in ${formatWait(remaining)}.` : formError}
    </p>
  );

  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <h1>Chat</h1>
        </div>
        {!passwordOff && step === 'password' && (
          <div className="auth-tabs" role="tablist" aria-label="Sign in or create an account">
            <button type="button" role="tab" aria-selected={isLogin} onClick={() => switchMode('login')}>
              Sign in
            </button>
            <button type="button" role="tab" aria-selected={!isLogin} onClick={() => switchMode('register')}>
              Create account
            </button>
          </div>
        )}
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {showForm && step === 'password' && (
          <form
            onSubmit={submit}
            noValidate
            aria-label={passwordOff ? 'Administrator sign-in' : undefined}
            aria-describedby={formError ? ids.formErr : undefined}
          >
            <div className="field">
              <label htmlFor={ids.user}>Username</label>
              <input
                ref={userRef}
                id={ids.user}
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                aria-invalid={!!fieldErrors.username}
                aria-describedby={fieldErrors.username ? ids.userErr : undefined}
                autoFocus
              />
              {fieldErrors.username && (
                <p className="field-error" id={ids.userErr}>
                  {fieldErrors.username}
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={ids.pass}>Password</label>
              <input
                ref={passRef}
                id={ids.pass}
                name="password"
                type="password"
                autoComplete={isLogin ? 'current-password' : 'new-password'}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                aria-invalid={!!fieldErrors.password}
                aria-describedby={fieldErrors.password ? ids.passErr : undefined}
              />
              {fieldErrors.password ? (
                <p className="field-error" id={ids.passErr}>
                  {fieldErrors.password}
                </p>
              ) : (
                !isLogin && <p className="field-hint">At least {LIMITS.passwordMin} characters.</p>
              )}
            </div>
            {errorLine}
            <button className="primary wide" type="submit" disabled={busy || waiting}>
              {busy ? 'Please wait…' : isLogin ? 'Sign in' : 'Create account'}
            </button>
          </form>
        )}
        {step === 'code' && (
          <form
            onSubmit={submit}
            noValidate
            aria-label="Two-factor authentication"
            aria-describedby={formError ? ids.formErr : undefined}
          >
            <h2 className="auth-step">Two-factor authentication</h2>
            <div className="field">
              <label htmlFor={ids.code}>{recovery ? 'Recovery code' : 'Authentication code'}</label>
              <input
                ref={codeRef}
                id={ids.code}
                name={recovery ? 'recovery-code' : 'one-time-code'}
                // Two inputs in React's eyes, so the browser's autofill never mixes them up.
                key={recovery ? 'recovery' : 'totp'}
                inputMode={recovery ? 'text' : 'numeric'}
                autoComplete={recovery ? 'off' : 'one-time-code'}
                autoCapitalize="none"
                spellCheck={false}
                maxLength={recovery ? CODE_MAX : 7}
                pattern={recovery ? undefined : '[0-9 ]*'}
                placeholder={recovery ? 'abcd-efgh-ijkl' : '123456'}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                aria-invalid={!!fieldErrors.code}
                aria-describedby={fieldErrors.code ? ids.codeErr : ids.codeHint}
              />
              {fieldErrors.code ? (
                <p className="field-error" id={ids.codeErr} role="alert">
                  {fieldErrors.code}
                </p>
              ) : (
                <p className="field-hint" id={ids.codeHint}>
                  {recovery
                    ? 'Each recovery code works once.'
                    : 'The 6-digit code your authenticator app shows for Chat.'}
                </p>
              )}
            </div>
            {errorLine}
            <button className="primary wide" type="submit" disabled={busy || waiting}>
              {busy ? 'Please wait…' : 'Verify'}
            </button>
            <p className="auth-alt">
              <button type="button" className="link-btn" onClick={toggleRecovery}>
                {recovery ? 'Use your authenticator app' : 'Use a recovery code'}
              </button>
              {' · '}
              <button type="button" className="link-btn" onClick={backToPassword}>
                Back
              </button>
            </p>
          </form>
        )}
        {/* Single sign-on, below the password form (not while a two-factor code is asked for). */}
        {step === 'password' && <SsoButton api={api} onSignedIn={onSignedIn} />}
        {passwordOff && !adminForm && (
          <p className="auth-alt">
            <button type="button" className="link-btn" onClick={() => setAdminForm(true)}>
              Administrator sign-in
            </button>
          </p>
        )}
      </div>
    </main>
  );
}
