import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { LIMITS, type AuthResult } from '@chat/contracts';
import type { AuthApi } from '../api/chat-api';
import { ApiError, describeError, formatWait } from '../api/errors';

type Mode = 'login' | 'register';

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
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<{ username?: string; password?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);
  const ids = { user: useId(), pass: useId(), userErr: useId(), passErr: useId(), formErr: useId() };

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

  const switchMode = (m: Mode) => {
    setMode(m);
    setFieldErrors({});
    setFormError(null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || waiting) return;
    const errors = validateCredentials(mode, username, password);
    setFieldErrors(errors);
    setFormError(null);
    if (errors.username) return userRef.current?.focus();
    if (errors.password) return passRef.current?.focus();
    setBusy(true);
    try {
      const u = username.trim();
      const result = mode === 'login' ? await api.login(u, password) : await api.register(u, password);
      onSignedIn(result);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.code === 'CONFLICT') {
          setFieldErrors({ username: `The username “${username.trim()}” is taken. Try another one.` });
          userRef.current?.focus();
        } else if (err.code === 'UNAUTHORIZED') {
          setFormError('Wrong username or password.');
          passRef.current?.select();
        } else if (err.code === 'RATE_LIMITED') {
          const secs = err.retryAfter ?? 60;
          setWaitUntil(Date.now() + secs * 1000);
          setNow(Date.now());
          setFormError(describeError(err));
        } else if (err.code === 'VALIDATION') {
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

  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <h1>Chat</h1>
        </div>
        <div className="auth-tabs" role="tablist" aria-label="Sign in or create an account">
          <button type="button" role="tab" aria-selected={isLogin} onClick={() => switchMode('login')}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={!isLogin} onClick={() => switchMode('register')}>
            Create account
          </button>
        </div>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit} noValidate aria-describedby={formError ? ids.formErr : undefined}>
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
          {formError && (
            <p className="form-error" role="alert" id={ids.formErr}>
              {waiting ? `Too many attempts. Try again in ${formatWait(remaining)}.` : formError}
            </p>
          )}
          <button className="primary wide" type="submit" disabled={busy || waiting}>
            {busy ? 'Please wait…' : isLogin ? 'Sign in' : 'Create account'}
          </button>
        </form>
      </div>
    </main>
  );
}
