import { generate } from 'otplib';
import { asTotpCode, matchTotp, newRecoveryCodes, newTotpSecret, otpauthUrl, recoveryCodeHash } from './totp';

describe('TOTP helpers', () => {
  const secret = newTotpSecret();
  const now = Date.UTC(2026, 11, 6, 12, 0, 15);
  const codeAt = (ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });
  const step = Math.floor(now / 30_000);

  it('accepts the current code and one step of drift either way, and no more', async () => {
    expect(await matchTotp(secret, await codeAt(now), null, now)).toBe(step);
    expect(await matchTotp(secret, await codeAt(now - 30_000), null, now)).toBe(step - 1);
    expect(await matchTotp(secret, await codeAt(now + 30_000), null, now)).toBe(step + 1);
    expect(await matchTotp(secret, await codeAt(now - 60_000), null, now)).toBeNull();
    expect(await matchTotp(secret, await codeAt(now + 60_000), null, now)).toBeNull();
  });

  it('refuses a code of a step already accepted, or an older one', async () => {
    expect(await matchTotp(secret, await codeAt(now), step, now)).toBeNull();
    expect(await matchTotp(secret, await codeAt(now - 30_000), step, now)).toBeNull();
    expect(await matchTotp(secret, await codeAt(now + 30_000), step, now)).toBe(step + 1);
  });

  it('takes six digits only, with spaces', async () => {
    expect(asTotpCode(' 123 456 ')).toBe('123456');
    expect(asTotpCode('12345')).toBeNull();
    expect(asTotpCode('1234567')).toBeNull();
    expect(asTotpCode('abcdef')).toBeNull();
    const code = await codeAt(now);
    expect(await matchTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, null, now)).toBe(step);
  });

  it('builds the otpauth URL with the issuer and the username', () => {
    const url = new URL(otpauthUrl('Team Chat', 'alice', secret));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Team Chat:alice');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('Team Chat');
  });

  it('makes ten distinct recovery codes whose hash ignores case, spaces and dashes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    const hash = recoveryCodeHash(codes[0]);
    expect(hash).toHaveLength(32);
    expect(recoveryCodeHash(` ${codes[0].toUpperCase().replace(/-/g, ' ')} `)).toEqual(hash);
    expect(recoveryCodeHash('abcd-efgh-ijk')).toBeNull();
    expect(recoveryCodeHash('abcd-efgh-ijk1')).toBeNull();
  });
});
