import { useEffect, useRef, useState } from 'react';
import type { AuthResult, SignInOptions } from '@chat/contracts';
import type { AuthApi } from '../api/chat-api';
import { ApiError, describeError } from '../api/errors';

/** What a single sign-on came back with: `#/sso?code=…[&returnTo=…]` or `#/sso?error=…`. */
export type SsoReturn = { code: string; returnTo: string | null } | { error: string };

/** A route of this app to open after signing in: `#/…`, never the sso route itself. */
export function safeRoute(returnTo: string | null): string | null {
  if (!returnTo?.startsWith('/#/')) return null;
  const hash = returnTo.slice(1);
  return hash.startsWith('#/sso') ? null : hash;
}

export function parseSsoHash(hash: string): SsoReturn | null {
  if (!hash.startsWith('#/sso?')) return null;
  const params = new URLSearchParams(hash.slice('#/sso?'.length));
  const code = params.get('code');
  if (code) return { code, returnTo: safeRoute(params.get('returnTo')) };
  const error = params.get('error');
  // Shown as text, bounded: the fragment is whatever the link that opened the page said.
  return { error: (error || 'Single sign-on failed. Please try again.').slice(0, 300) };
}

/** Replaces the URL without adding a history entry, so Back never returns to a spent code. */
function replaceHash(hash: string): void {
  window.history.replaceState(
    window.history.state,
    '',
    `${window.location.pathname}${window.location.search}${hash}`,
  );
}

const optionsCache = new WeakMap<AuthApi, Promise<SignInOptions>>();

/**
 * `GET /auth/sign-in-options`, once per page (a failed read is retried by the next caller); null
 * until it answers, and when it cannot be read.
 */
export function useSignInOptions(api: AuthApi): SignInOptions | null {
  const [options, setOptions] = useState<SignInOptions | null>(null);
  useEffect(() => {
    let live = true;
    let pending = optionsCache.get(api);
    if (!pending) {
      pending = api.signInOptions();
      optionsCache.set(api, pending);
      pending.catch(() => optionsCache.delete(api));
    }
    pending.then(
      (o) => live && setOptions(o),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return options;
}

/**
 * "Sign in with <provider>" on the sign-in screen when single sign-on is configured (the primary
 * action when password login is off), and the end of a sign-on: the `#/sso?code=` the auth service
 * redirects to is traded for a session, stored like a password login's; `#/sso?error=` is shown.
 */
export function SsoButton({ api, onSignedIn }: { api: AuthApi; onSignedIn: (r: AuthResult) => void }) {
  const options = useSignInOptions(api);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'exchanging' | 'redirecting' | null>(null);
  const signedIn = useRef(onSignedIn);
  signedIn.current = onSignedIn;

  useEffect(() => {
    const back = parseSsoHash(window.location.hash);
    if (!back) return;
    // Off the URL before anything else: a code is good once, and must not stay in history.
    replaceHash('');
    if ('error' in back) {
      setError(back.error);
      return;
    }
    setBusy('exchanging');
    api.exchangeSsoCode(back.code).then(
      (result) => {
        if (back.returnTo) replaceHash(back.returnTo);
        signedIn.current(result);
      },
      (err: unknown) => {
        setBusy(null);
        setError(
          err instanceof ApiError && err.code === 'UNAUTHORIZED'
            ? 'This sign-in link expired or was already used. Please sign in again.'
            : describeError(err),
        );
      },
    );
  }, [api]);

  if (busy === 'exchanging')
    return (
      <p className="notice" role="status">
        Signing you in…
      </p>
    );
  const sso = options?.oidc;
  const primary = options?.passwordLogin === false;
  const signIn = () => {
    setBusy('redirecting');
    // Back to the conversation that was asked for (a permalink opened while signed out).
    const route = window.location.hash.startsWith('#/') ? `/${window.location.hash}` : undefined;
    window.location.assign(api.ssoLoginUrl(route));
  };
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {sso && (
        <div className="sso">
          {!primary && <p className="row muted small-text">or</p>}
          <button
            type="button"
            className={primary ? 'primary wide' : 'ghost wide'}
            onClick={signIn}
            disabled={busy === 'redirecting'}
          >
            {busy === 'redirecting' ? 'Redirecting…' : `Sign in with ${sso.name}`}
          </button>
        </div>
      )}
    </>
  );
}
