import { AppError } from '@chat/platform';
import { connectError, forgetToken, isOriginAllowed, tokenFrom } from './handshake';

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
});
