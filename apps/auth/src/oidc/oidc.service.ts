import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthResult } from '@chat/contracts';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SignInSettingsService } from '../settings/sign-in-settings.service';
import { TokensService } from '../sessions/tokens.service';
import { IdentityProvider, type ProviderIdentity } from './identity-provider';
import { OidcErrors, SsoFailure } from './oidc.errors';
import { OidcRepository, type OidcAccount } from './oidc.repository';
import { usernameFrom, withSuffix } from './usernames';

/** How long a login may stay at the provider. */
export const LOGIN_TTL_SECONDS = 10 * 60;
/** How long the web client has to trade the hand-off code for its tokens. */
const HANDOFF_TTL_SECONDS = 60;
/** `returnTo`: a route of the web client (`/#/…`), printable ASCII, bounded. */
const RETURN_TO = /^\/#\/[\x21-\x7e]{0,500}$/;

const hashCode = (code: string) => createHash('sha256').update(code).digest();

/** Where a login starts: the provider's authorization URL, and the state to bind to the browser. */
export interface LoginStart {
  redirect: string;
  state: string | null;
}

/**
 * Single sign-on with the OpenID Connect provider: a login goes to the provider and comes back to
 * the callback, which links the provider's identity (issuer, `sub`) to an account and hands the web
 * client a one-time code; the client trades it for a session like a password login's.
 *
 * The tokens never travel in a URL, and the code in the URL is worth nothing after one use or a
 * minute. Everything lives in Postgres, so any auth replica may serve any step.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger(OidcService.name);

  constructor(
    private readonly provider: IdentityProvider,
    private readonly logins: OidcRepository,
    private readonly settings: SignInSettingsService,
    private readonly tokens: TokensService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** The provider's authorization URL for a new login; the client-error page when the provider is down. */
  async startLogin(returnTo: unknown): Promise<LoginStart> {
    const checks = this.provider.newChecks();
    let redirect: string;
    try {
      redirect = await this.provider.authorizationUrl(checks);
    } catch (err) {
      // Discovery failed: the provider is down, or OIDC_ISSUER does not name one.
      return { redirect: this.failed(OidcErrors.unreachable(err)), state: null };
    }
    try {
      await this.logins.savePendingLogin({
        ...checks,
        returnTo: typeof returnTo === 'string' && RETURN_TO.test(returnTo) ? returnTo : null,
        expiresAt: new Date(Date.now() + LOGIN_TTL_SECONDS * 1000),
      });
    } catch (err) {
      return { redirect: this.failed(err), state: null };
    }
    return { redirect, state: checks.state };
  }

  /**
   * The provider's answer: checked against this browser's login (`cookieState`) and the stored one,
   * which is then spent whatever the outcome (`spent`: the browser's cookie has served). Answers
   * where to send the browser: the web client with a hand-off code, or with a message saying why not.
   */
  async finishLogin(
    query: URLSearchParams,
    cookieState: string | undefined,
  ): Promise<{ redirect: string; spent: boolean }> {
    const state = query.get('state');
    // A state this browser did not start (login CSRF: someone else's login pushed into it) leaves
    // the browser's own login under way untouched.
    const spent = !!state && cookieState === state;
    return { redirect: await this.callbackTarget(query, spent ? state : null), spent };
  }

  private async callbackTarget(query: URLSearchParams, state: string | null): Promise<string> {
    try {
      if (!state) throw OidcErrors.staleLogin(query.has('state') ? 'state_cookie_mismatch' : 'missing_state');
      const login = await this.logins.takePendingLogin(state);
      if (!login) throw OidcErrors.staleLogin('unknown_or_spent_state');
      if (login.expiresAt.getTime() <= Date.now()) throw OidcErrors.staleLogin('login_expired');
      if (query.has('error')) throw OidcErrors.cancelled({ error: query.get('error')?.slice(0, 200) });

      const identity = await this.identify(query, login);
      const account = await this.accountFor(identity);
      if (account.bannedAt) throw OidcErrors.refused('banned');
      if (account.deactivatedAt) throw OidcErrors.refused('deactivated');

      const code = randomBytes(32).toString('base64url');
      await this.logins.saveHandoff(
        hashCode(code),
        account.id,
        new Date(Date.now() + HANDOFF_TTL_SECONDS * 1000),
      );
      this.logger.log({ userId: account.id, subject: identity.subject }, 'single sign-on succeeded');
      const next = login.returnTo ? `&returnTo=${encodeURIComponent(login.returnTo)}` : '';
      return `${this.config.publicUrl}/#/sso?code=${code}${next}`;
    } catch (err) {
      return this.failed(err);
    }
  }

  /** Trades a hand-off code for a session (once, within a minute). */
  async exchange(code: string): Promise<AuthResult> {
    const userId = await this.logins.takeHandoff(hashCode(code));
    const account = userId ? await this.logins.findById(userId) : undefined;
    // Banned or deactivated during the minute since the callback: no session either.
    if (!account || account.bannedAt || account.deactivatedAt) throw OidcErrors.badHandoff();
    const result = await this.tokens.startSession(account);
    await this.logins.touchLastSeen(account.id);
    return result;
  }

  private async identify(
    query: URLSearchParams,
    checks: { state: string; nonce: string; codeVerifier: string },
  ) {
    try {
      return await this.provider.identify(query, checks);
    } catch (err) {
      // openid-client's refusals (bad state, nonce, signature, PKCE, provider error) and network failures.
      const unreachable = err instanceof TypeError || (err as { name?: string }).name === 'TimeoutError';
      throw unreachable ? OidcErrors.unreachable(err) : OidcErrors.unverified(err);
    }
  }

  /** The account linked to this identity, or a new one when the settings allow it. */
  private async accountFor(identity: ProviderIdentity): Promise<OidcAccount> {
    const linked = await this.logins.findLinked(identity.issuer, identity.subject);
    if (linked) return linked;
    if (!(await this.settings.get()).oidcCreateAccounts) throw OidcErrors.noAccount();

    const { claims } = identity;
    const email =
      claims.email_verified === true && typeof claims.email === 'string' && claims.email.length <= 254
        ? claims.email
        : null;
    const base = usernameFrom(claims);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // alice, alice_2 … alice_9, then random suffixes (many people share a first name).
      const username =
        attempt === 0
          ? base
          : withSuffix(base, attempt < 9 ? String(attempt + 1) : randomBytes(3).toString('hex'));
      if (await this.logins.usernameTaken(username)) continue;
      const created = await this.logins.insertLinked({
        username,
        email,
        issuer: identity.issuer,
        subject: identity.subject,
      });
      if (created) {
        this.logger.log(
          { userId: created.id, username, subject: identity.subject },
          'account created by single sign-on',
        );
        return created;
      }
      // The same person's other login (another tab, another replica) may have just linked it.
      const raced = await this.logins.findLinked(identity.issuer, identity.subject);
      if (raced) return raced;
    }
    throw new SsoFailure(
      'username_exhausted',
      'No username could be found for this account. Ask an administrator.',
    );
  }

  /** The web client's sign-in screen with a message; the details (never tokens) go to the log. */
  private failed(err: unknown): string {
    const failure =
      err instanceof SsoFailure
        ? err
        : new SsoFailure('internal', 'Single sign-on failed. Please try again.', err);
    const cause = failure.detail ?? (failure === err ? undefined : err);
    this.logger.warn(
      { reason: failure.reason, cause: describe(cause) },
      `single sign-on refused: ${failure.reason}`,
    );
    return `${this.config.publicUrl}/#/sso?error=${encodeURIComponent(failure.message)}`;
  }
}

/** An error's name, code and message: what an operator needs, without the stack or any response body. */
function describe(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { code, error, status } = err as { code?: unknown; error?: unknown; status?: unknown };
  const cause = (err as { cause?: unknown }).cause;
  return {
    name: err.name,
    message: err.message,
    code,
    error,
    status,
    cause: cause instanceof Error ? { name: cause.name, message: cause.message } : undefined,
  };
}
