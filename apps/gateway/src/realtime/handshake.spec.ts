import { generateKeyPairSync } from 'node:crypto';
import { AppError } from '@chat/platform';
import { connectError, forgetToken, isOriginAllowed, tokenFrom, VerifiedTokens } from './handshake';

describe('handshake', () => {
  it('takes the token from auth.token, else from ?token=, and nothing that is not a string', () => {
    expect(tokenFrom({ auth: { token: 'a' }, query: { token: 'q' } })).toBe('a');
    expect(tokenFrom({ auth: {}, query: { token: 'q' } })).toBe('q');
    expect(tokenFrom({ auth: { token: { $ne: '' } }, query: {} })).toBeUndefined();
    expect(tokenFrom({ auth: { token: 1 }, query: { token: ['q'] } })).toBeUndefined();
    expect(tokenFrom({})).toBeUndefined();
  });

  it('forgets the token once read, in auth and in the query', () => {
    const handshake = { auth: { token: 'a', other: 1 }, query: { token: 'q', EIO: '4' } };
    forgetToken(handshake);
    expect(handshake).toEqual({ auth: { other: 1 }, query: { EIO: '4' } });
    expect(() => forgetToken({ auth: undefined, query: 'x' })).not.toThrow();
  });

  it('allows listed origins and clients without an Origin header only', () => {
    const allowed = ['https://chat.example.com'];
    expect(isOriginAllowed('https://chat.example.com', allowed)).toBe(true);
    expect(isOriginAllowed(undefined, allowed)).toBe(true);
    expect(isOriginAllowed('https://chat.example.com.evil.example', allowed)).toBe(false);
    expect(isOriginAllowed('http://chat.example.com', allowed)).toBe(false);
    expect(isOriginAllowed('null', allowed)).toBe(false);
  });

  it('turns a refusal into a connect_error whose message is the code', () => {
    const unauthorized = connectError(new AppError('UNAUTHORIZED', 'Invalid or expired access token'));
    expect(unauthorized.message).toBe('UNAUTHORIZED');
    expect(unauthorized.data).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid or expired access token' });
    const crash = connectError(new Error('connection string has password hunter2'));
    expect(crash.message).toBe('INTERNAL');
    expect(crash.data.message).not.toContain('hunter2');
  });

  it('remembers a verified token only while its key is the one that verified it and it has not expired', async () => {
    const [key, rotated] = [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    ].map((k) => k.publicKey);
    const asked: string[] = [];
    const keyOf = (answer: typeof key, token: string) => () => {
      asked.push(token);
      return Promise.resolve(answer);
    };
    const identity = { sub: 'u1', exp: 1000 };
    const tokens = new VerifiedTokens(2, 60_000);
    tokens.set('t1', identity, key, 990_000);
    expect(await tokens.get('t1', keyOf(key, 't1'), 999_000)).toMatchObject(identity);
    expect(await tokens.get('t1.forged', keyOf(key, 't1.forged'), 999_000)).toBeUndefined();
    // A token not in the cache never asks for its key.
    expect(asked).toEqual(['t1']);
    expect(await tokens.get('t1', keyOf(rotated, 't1'), 999_000)).toBeUndefined();
    // A miss forgets it: the key that verified it is no longer trusted.
    expect(await tokens.get('t1', keyOf(key, 't1'), 999_000)).toBeUndefined();
    tokens.set('t2', identity, key, 990_000);
    expect(await tokens.get('t2', keyOf(key, 't2'), 1_000_000)).toBeUndefined();
  });

  it('drops the oldest token when full, not every token, and none is trusted past the TTL', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const keyOf = () => Promise.resolve(key);
    const identity = { sub: 'u1', exp: 10_000 };
    const tokens = new VerifiedTokens(2, 60_000);
    for (const [i, t] of ['a', 'b', 'c'].entries()) tokens.set(t, identity, key, 1_000_000 + i);
    expect(tokens.size).toBe(2);
    // A reconnect wave larger than the cache still finds the newest tokens.
    expect(await tokens.get('a', keyOf, 1_000_010)).toBeUndefined();
    expect(await tokens.get('b', keyOf, 1_000_010)).toMatchObject(identity);
    expect(await tokens.get('c', keyOf, 1_000_010)).toMatchObject(identity);
    // Unexpired, but written longer ago than the TTL: verified again.
    expect(await tokens.get('c', keyOf, 1_060_002)).toBeUndefined();
  });
});
