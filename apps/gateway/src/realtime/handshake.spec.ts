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

  it('remembers a verified token only while its key is the one that verified it and it has not expired', () => {
    const [key, rotated] = [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    ].map((k) => k.publicKey);
    const identity = { sub: 'u1', exp: 1000 };
    const tokens = new VerifiedTokens(2);
    tokens.set('t1', identity, key);
    expect(tokens.get('t1', key, 999_000)).toMatchObject(identity);
    expect(tokens.get('t1.forged', key, 999_000)).toBeUndefined();
    expect(tokens.get('t1', rotated, 999_000)).toBeUndefined();
    // A miss forgets it: the key that verified it is no longer trusted.
    expect(tokens.get('t1', key, 999_000)).toBeUndefined();
    tokens.set('t2', identity, key);
    expect(tokens.get('t2', key, 1_000_000)).toBeUndefined();
    tokens.set('a', identity, key);
    tokens.set('b', identity, key);
    tokens.set('c', identity, key);
    expect(tokens.size).toBeLessThanOrEqual(2);
  });
});
