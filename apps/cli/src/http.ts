import type { AuthResult, Channel, Member, MessagePage, User } from '@chat/contracts';
import { ChatError, errorFromResponse, networkError } from './errors';

/** A source of access tokens (see session.ts): renewed before expiry, and after a 401. */
export interface TokenSource {
  getAccessToken(): Promise<string>;
  tokenAfterUnauthorized(usedToken: string): Promise<string>;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A request that gets no answer in this time counts as the server being unreachable. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Answers we read at most (the biggest legitimate one is a page of 100 messages). */
const MAX_BODY_CHARS = 8 * 1024 * 1024;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text || text.length > MAX_BODY_CHARS) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * The chat's REST API behind one origin (the front door routes `/auth/` to the auth service and
 * the rest to a gateway). Authenticated calls carry `Authorization: Bearer`; a 401 is answered by
 * one token refresh and one retry, as the web client does (an expired token is routine, a second
 * 401 is not).
 */
export class Api {
  private tokens: TokenSource | null = null;

  constructor(
    readonly base: string,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
  ) {}

  useTokens(tokens: TokenSource): void {
    this.tokens = tokens;
  }

  /** Any HTTP answer at all from the auth service (its JWKS is public), or why there is none. */
  async probe(): Promise<void> {
    const res = await this.raw('GET', '/auth/.well-known/jwks.json');
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 500) throw new ChatError('UNAVAILABLE', `${this.base} answered HTTP ${res.status}`);
    if (res.status === 404) {
      throw new ChatError(
        'NOT_FOUND',
        `${this.base} does not look like a chat server (no /auth/ there)`,
        404,
      );
    }
  }

  login(username: string, password: string): Promise<AuthResult> {
    return this.publicPost<AuthResult>('/auth/login', { username, password });
  }

  refresh(refreshToken: string): Promise<AuthResult> {
    return this.publicPost<AuthResult>('/auth/refresh', { refreshToken });
  }

  async logout(refreshToken: string): Promise<void> {
    await this.publicPost('/auth/logout', { refreshToken });
  }

  me(): Promise<User> {
    return this.json<User>('GET', '/auth/me');
  }

  channels(): Promise<Channel[]> {
    return this.json<Channel[]>('GET', '/channels');
  }

  publicChannels(q = ''): Promise<Channel[]> {
    return this.json<Channel[]>('GET', `/channels/public${q ? `?q=${encodeURIComponent(q)}` : ''}`);
  }

  join(channelId: string): Promise<Channel> {
    return this.json<Channel>('POST', `/channels/${encodeURIComponent(channelId)}/join`);
  }

  members(channelId: string): Promise<Member[]> {
    return this.json<Member[]>('GET', `/channels/${encodeURIComponent(channelId)}/members`);
  }

  /** The newest `limit` messages, ascending by seq. */
  history(channelId: string, limit: number): Promise<MessagePage> {
    return this.json<MessagePage>(
      'GET',
      `/channels/${encodeURIComponent(channelId)}/messages?limit=${limit}`,
    );
  }

  users(q: string): Promise<User[]> {
    return this.json<User[]>('GET', `/users?q=${encodeURIComponent(q)}`);
  }

  openDm(userId: string): Promise<Channel> {
    return this.json<Channel>('POST', '/dms', { userId });
  }

  async publicPost<T>(path: string, body: unknown): Promise<T> {
    const res = await this.raw('POST', path, body);
    const data = await readBody(res);
    if (!res.ok) throw errorFromResponse(res.status, data);
    return data as T;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.tokens) throw new ChatError('UNAUTHORIZED', 'Not logged in');
    let token = await this.tokens.getAccessToken();
    for (let attempt = 0; ; attempt++) {
      const res = await this.raw(method, path, body, token);
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel().catch(() => undefined);
        token = await this.tokens.tokenAfterUnauthorized(token);
        continue;
      }
      const data = await readBody(res);
      if (!res.ok) throw errorFromResponse(res.status, data);
      return data as T;
    }
  }

  private async raw(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw networkError(this.base, err);
    }
  }
}
