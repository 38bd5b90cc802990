import type { AuthResult, User } from '@chat/contracts';
import { ChatError } from './errors';
import type { Api, TokenSource } from './http';

/** Refresh this long before the access token expires: a minute, or a quarter of a short lifetime. */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 4);
}

export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): NodeJS.Timeout;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
};

interface Tokens {
  accessToken: string;
  /** Absent for a bot token, which does not expire and cannot be refreshed. */
  refreshToken?: string;
  expiresAt?: number;
  lifetimeMs?: number;
}

/**
 * Who is logged in, and a valid access token for them. A password login is renewed with its
 * refresh token on a timer before the 15-minute access token runs out, when a caller asks for a
 * token about to expire, and after a 401 — all sharing one request, because presenting a spent
 * refresh token revokes the whole login (the same rules as the web client's TokenManager).
 * A bot token is used as is until the server refuses it.
 */
export class Session implements TokenSource {
  private inflight: Promise<Tokens> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;
  /** Called once when the login is over (the refresh was refused): the caller reports and exits. */
  onEnded: (err: ChatError) => void = () => undefined;
  /** Called after every successful refresh. */
  onRefreshed: () => void = () => undefined;

  private constructor(
    private readonly api: Api,
    private tokens: Tokens,
    public user: User,
    private readonly clock: Clock,
  ) {
    this.schedule();
  }

  static async login(api: Api, username: string, password: string, clock = systemClock): Promise<Session> {
    const result = await api.login(username, password);
    const session = new Session(api, fromAuth(result, clock.now()), result.user, clock);
    api.useTokens(session);
    return session;
  }

  /** A bearer token given on the command line (a bot token): checked with GET /auth/me. */
  static async withToken(api: Api, token: string, clock = systemClock): Promise<Session> {
    const refused = () => new ChatError('UNAUTHORIZED', 'The server refused the token', 401);
    api.useTokens({
      getAccessToken: () => Promise.resolve(token),
      tokenAfterUnauthorized: () => Promise.reject(refused()),
    });
    const user = await api.me();
    const session = new Session(api, { accessToken: token }, user, clock);
    api.useTokens(session);
    return session;
  }

  get canRefresh(): boolean {
    return !!this.tokens.refreshToken;
  }

  /** The token as it is now, for the socket handshake's `auth` callback. */
  get currentToken(): string {
    return this.tokens.accessToken;
  }

  async getAccessToken(): Promise<string> {
    const t = this.tokens;
    if (this.ended) throw new ChatError('UNAUTHORIZED', 'The session has ended', 401);
    if (!t.refreshToken || t.expiresAt === undefined || t.lifetimeMs === undefined) return t.accessToken;
    if (this.clock.now() < t.expiresAt - refreshMargin(t.lifetimeMs)) return t.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** `usedToken` got a 401: a newer token if someone refreshed meanwhile, else refresh now. */
  async tokenAfterUnauthorized(usedToken: string): Promise<string> {
    if (this.tokens.accessToken !== usedToken) return this.tokens.accessToken;
    if (!this.tokens.refreshToken) {
      this.end(new ChatError('UNAUTHORIZED', 'The server refused the token', 401));
      throw new ChatError('UNAUTHORIZED', 'The server refused the token', 401);
    }
    return (await this.refresh()).accessToken;
  }

  refresh(): Promise<Tokens> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Ends the login on the server too (best effort: we are leaving either way). */
  async logout(): Promise<void> {
    this.dispose();
    const refreshToken = this.tokens.refreshToken;
    if (refreshToken) await this.api.logout(refreshToken).catch(() => undefined);
  }

  dispose(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async doRefresh(): Promise<Tokens> {
    const refreshToken = this.tokens.refreshToken;
    if (!refreshToken || this.ended) throw new ChatError('UNAUTHORIZED', 'The session has ended', 401);
    try {
      const result = await this.api.refresh(refreshToken);
      this.tokens = fromAuth(result, this.clock.now());
      this.user = result.user;
      this.schedule();
      this.onRefreshed();
      return this.tokens;
    } catch (err) {
      if (err instanceof ChatError && err.code === 'UNAUTHORIZED') {
        this.end(new ChatError('UNAUTHORIZED', `The session has ended: ${err.message}`, 401));
      } else {
        // Network trouble: keep the login and try again soon.
        this.schedule(5_000);
      }
      throw err;
    }
  }

  private end(err: ChatError): void {
    if (this.ended) return;
    this.dispose();
    this.onEnded(err);
  }

  private schedule(overrideMs?: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const t = this.tokens;
    if (this.ended || !t.refreshToken || t.expiresAt === undefined || t.lifetimeMs === undefined) return;
    const due = overrideMs ?? Math.max(0, t.expiresAt - refreshMargin(t.lifetimeMs) - this.clock.now());
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        this.refresh().catch(() => undefined);
      },
      Math.min(due, 2 ** 31 - 1),
    );
    // A pending refresh never keeps the process alive on its own.
    this.timer.unref?.();
  }
}

function fromAuth(result: AuthResult, now: number): Tokens {
  const lifetimeMs = Math.max(1, result.expiresIn) * 1000;
  return {
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    expiresAt: now + lifetimeMs,
    lifetimeMs,
  };
}
