import { LIMITS } from '@chat/contracts';
import { usernameFrom, withSuffix } from './usernames';

describe('usernames for accounts created by single sign-on', () => {
  it.each([
    [{ preferred_username: 'alice' }, 'alice'],
    [{ preferred_username: 'José García' }, 'Jose_Garcia'],
    [{ preferred_username: 'ann@corp.example' }, 'ann_corp.example'],
    [{ preferred_username: '  --Ünïcödé--  ' }, '--Unicode--'],
    [{ preferred_username: '<b>x</b>' }, 'b_x_b'],
    [{ preferred_username: 'a'.repeat(40) }, 'a'.repeat(32)],
    [{ preferred_username: '李雷', email: 'li.lei@corp.example' }, 'li.lei'],
    [{ preferred_username: 'ab', email: 'x@corp.example' }, 'user'],
    [{ preferred_username: 42, email: null }, 'user'],
    [{}, 'user'],
  ])('%j → %s', (claims, expected) => {
    const name = usernameFrom(claims);
    expect(name).toBe(expected);
    expect(name).toMatch(LIMITS.usernamePattern);
    expect(name.length).toBeGreaterThanOrEqual(LIMITS.usernameMin);
    expect(name.length).toBeLessThanOrEqual(LIMITS.usernameMax);
  });

  it('bounds the work on a hostile claim', () => {
    const started = Date.now();
    expect(usernameFrom({ preferred_username: '\u0301'.repeat(1_000_000) + 'x'.repeat(1_000_000) })).toBe(
      'user',
    );
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('suffixes within 32 characters', () => {
    expect(withSuffix('alice', '2')).toBe('alice_2');
    expect(withSuffix('b'.repeat(32), '10')).toBe(`${'b'.repeat(29)}_10`);
    expect(withSuffix('b'.repeat(32), 'a1b2c3')).toHaveLength(32);
  });
});
