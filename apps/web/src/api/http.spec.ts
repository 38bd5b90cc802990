import type { AuthResult } from '@chat/contracts';
import { alice, deferred } from '../testing/fixtures';
import { describeError, errorFromResponse } from './errors';
import { Http, type FetchLike } from './http';
import { TokenManager, type Session } from './tokens';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

function setup(refresh: () => Promise<AuthResult>) {
  let value: Session | null = null;
  const tm = new TokenManager({
    storage: { load: () => value, save: (v) => (value = v) },
    refreshCall: refresh,
  });
  tm.signIn({ user: alice, accessToken: 'old', refreshToken: 'r1', expiresIn: 900 });
  return tm;
}

describe('authenticated requests', () => {
  it('refreshes once on a 401 and retries with the new token', async () => {
    const tm = setup(() =>
      Promise.resolve({ user: alice, accessToken: 'new', refreshToken: 'r2', expiresIn: 900 }),
    );
    const seen: string[] = [];
    const fetchImpl: FetchLike = (_url, init) => {
      const auth = (init?.headers as Record<string, string>).authorization;
      seen.push(auth);
      return Promise.resolve(
        auth === 'Bearer new' ? json(200, [{ id: 'c1' }]) : json(401, { code: 'UNAUTHORIZED' }),
      );
    };
    const http = new Http('', tm, fetchImpl);
    await expect(http.json('GET', '/channels')).resolves.toEqual([{ id: 'c1' }]);
    expect(seen).toEqual(['Bearer old', 'Bearer new']);
  });

  it('shares one refresh among requests that all got a 401', async () => {
    const gate = deferred<AuthResult>();
    let refreshes = 0;
    const tm = setup(() => {
      refreshes++;
      return gate.promise;
    });
    const fetchImpl: FetchLike = (_url, init) => {
      const auth = (init?.headers as Record<string, string>).authorization;
      return Promise.resolve(
        auth === 'Bearer new' ? json(200, { ok: 1 }) : json(401, { code: 'UNAUTHORIZED' }),
      );
    };
    const http = new Http('', tm, fetchImpl);
    const all = Promise.all([http.json('GET', '/a'), http.json('GET', '/b'), http.json('GET', '/c')]);
    await new Promise((r) => setTimeout(r, 0));
    gate.resolve({ user: alice, accessToken: 'new', refreshToken: 'r2', expiresIn: 900 });
    await expect(all).resolves.toHaveLength(3);
    expect(refreshes).toBe(1);
  });

  it('gives up after the second 401', async () => {
    const tm = setup(() =>
      Promise.resolve({ user: alice, accessToken: 'new', refreshToken: 'r2', expiresIn: 900 }),
    );
    const http = new Http('', tm, () =>
      Promise.resolve(json(401, { code: 'UNAUTHORIZED', message: 'nope' })),
    );
    await expect(http.json('GET', '/x')).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });

  it('turns a failed fetch into a network error', async () => {
    const tm = setup(() => Promise.reject(new Error('unused')));
    const http = new Http('', tm, () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(http.json('GET', '/x')).rejects.toMatchObject({ code: 'UNAVAILABLE', network: true });
  });
});

describe('error messages people read', () => {
  it('reads the contract error body', () => {
    const e = errorFromResponse(409, {
      statusCode: 409,
      code: 'CONFLICT',
      message: 'Username is taken',
      requestId: 'x',
    });
    expect(e).toMatchObject({ code: 'CONFLICT', status: 409, message: 'Username is taken' });
  });

  it('says when to retry after a rate limit, from Retry-After', () => {
    const e = errorFromResponse(429, { code: 'RATE_LIMITED', message: 'Too many attempts' }, '42');
    expect(e.retryAfter).toBe(42);
    expect(describeError(e)).toBe('Too many attempts. Try again in 42 s.');
  });

  it('falls back to the wording of the message when the header is missing', () => {
    const e = errorFromResponse(
      429,
      { code: 'RATE_LIMITED', message: 'Too many attempts, retry in 90 s' },
      null,
    );
    expect(describeError(e)).toBe('Too many attempts. Try again in 1 min 30 s.');
  });

  it('joins validation messages and maps statuses without a body', () => {
    expect(errorFromResponse(400, { message: ['a is bad', 'b is bad'] }).message).toBe('a is bad; b is bad');
    expect(errorFromResponse(413, null).code).toBe('PAYLOAD_TOO_LARGE');
    expect(describeError(errorFromResponse(500, { code: 'INTERNAL', message: 'stack trace...' }))).toMatch(
      /went wrong/,
    );
  });
});
