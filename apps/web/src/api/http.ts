import type { AuthResult } from '@chat/contracts';
import { ApiError, errorFromResponse, networkError } from './errors';
import type { TokenManager } from './tokens';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** One call without credentials (the auth endpoints). */
export async function publicJson<T>(
  fetchImpl: FetchLike,
  base: string,
  path: string,
  body: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetchImpl(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw networkError();
  }
  const data = await readBody(res);
  if (!res.ok) throw errorFromResponse(res.status, data, res.headers.get('retry-after'));
  return data as T;
}

export const refreshCall = (fetchImpl: FetchLike, base: string) => (refreshToken: string) =>
  publicJson<AuthResult>(fetchImpl, base, '/auth/refresh', { refreshToken });

/**
 * Authenticated requests: the bearer token comes from the TokenManager, and a 401 is answered by
 * one refresh and one retry (an expired token is routine; a second 401 is not).
 */
export class Http {
  constructor(
    private readonly base: string,
    private readonly tokens: TokenManager,
    private readonly fetchImpl: FetchLike = (i, init) => fetch(i, init),
  ) {}

  get origin(): string {
    return this.base;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const data = await readBody(res);
    if (!res.ok) throw errorFromResponse(res.status, data, res.headers.get('retry-after'));
    return data as T;
  }

  /** Raw bytes of an authenticated resource (file downloads and previews). */
  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    const res = await this.send(path, { method: 'GET', signal });
    if (!res.ok) throw errorFromResponse(res.status, await readBody(res), res.headers.get('retry-after'));
    return res.blob();
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    let token = await this.tokens.getAccessToken();
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchImpl(this.base + path, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        });
      } catch (err) {
        if (err instanceof DOMException && err.name === 'AbortError') throw err;
        throw networkError();
      }
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel().catch(() => undefined);
      token = await this.tokens.tokenAfterUnauthorized(token);
    }
  }
}

export { ApiError };
