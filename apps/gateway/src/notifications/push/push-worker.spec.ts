import { generateVAPIDKeys } from 'web-push';
import { assertVapidPair, outcomeOf, retryDelayMs } from './push-worker';
import { decodeBase64Url, isP256Point } from './push-keys';

describe('push delivery rules', () => {
  it('settles by the push service’s answer', () => {
    expect([200, 201, 202].map(outcomeOf)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([404, 410].map(outcomeOf)).toEqual(['gone', 'gone']);
    expect([408, 429, 500, 502, 503].map(outcomeOf)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry']);
    expect([400, 401, 403, 413].map(outcomeOf)).toEqual(['refused', 'refused', 'refused', 'refused']);
  });

  it('backs off exponentially with jitter, capped at an hour', () => {
    expect(retryDelayMs(0, 0)).toBe(2_500);
    expect(retryDelayMs(0, 1)).toBe(5_000);
    expect(retryDelayMs(3, 1)).toBe(40_000);
    expect(retryDelayMs(30, 1)).toBe(3_600_000);
    expect(retryDelayMs(30, 0)).toBe(1_800_000);
    // A day of retries gives up after some forty attempts (most an hour apart), not thousands.
    let total = 0;
    let n = 0;
    while (total < 24 * 3_600_000) total += retryDelayMs(n++, 0.5);
    expect(n).toBeLessThan(50);
  });
});

describe('subscription keys', () => {
  const point = Buffer.from(
    'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
    'base64url',
  );

  it('accepts a P-256 point and refuses anything else of the same length', () => {
    expect(isP256Point(point)).toBe(true);
    const offCurve = Buffer.from(point);
    offCurve[64] ^= 1;
    expect(isP256Point(offCurve)).toBe(false);
    const compressedTag = Buffer.from(point);
    compressedTag[0] = 0x02;
    expect(isP256Point(compressedTag)).toBe(false);
    expect(isP256Point(point.subarray(0, 64))).toBe(false);
  });

  it('decodes strict base64url only', () => {
    expect(decodeBase64Url('tBHItJI5svbpez7KI4CCXg')?.length).toBe(16);
    expect(decodeBase64Url('tBHItJI5svbpez7KI4CCXg==')?.length).toBe(16);
    expect(decodeBase64Url('tBHItJI5svbpez7KI4CCX')).toBeNull();
    expect(decodeBase64Url('tBHItJI5svbpez7KI4CC+g')).toBeNull();
    expect(decodeBase64Url('tBHItJI5svbpez7KI4CCXh')).toBeNull();
  });
});

describe('VAPID configuration', () => {
  const pair = generateVAPIDKeys();
  const other = generateVAPIDKeys();

  it('accepts a pair, or none (Web Push off)', () => {
    expect(() => assertVapidPair(pair.publicKey, pair.privateKey)).not.toThrow();
    expect(() => assertVapidPair('', '')).not.toThrow();
  });

  it.each([
    ['half a pair', pair.publicKey, '', /set both, or neither/],
    ['the other half', '', pair.privateKey, /set both, or neither/],
    ['keys of two pairs', pair.publicKey, other.privateKey, /does not belong/],
    ['a public key that is no key', 'abc', pair.privateKey, /VAPID_PUBLIC_KEY/],
    ['a private key of the wrong size', pair.publicKey, 'AAAA', /VAPID_PRIVATE_KEY/],
  ])('refuses %s, naming the variable', (_what, pub, priv, message) => {
    expect(() => assertVapidPair(pub, priv)).toThrow(message);
  });
});
