import { commonEnv, loadEnv, tokenVerifierEnv } from './env';

describe('validated config', () => {
  it('names every bad variable and stops', () => {
    expect(() =>
      loadEnv(commonEnv, { DATABASE_URL: 'mysql://x', REDIS_URL: 'http://nope', LOG_LEVEL: 'loud' }),
    ).toThrow(/DATABASE_URL[\s\S]*REDIS_URL|REDIS_URL[\s\S]*DATABASE_URL/);
  });

  it('parses lists', () => {
    expect(loadEnv(commonEnv, { CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS).toEqual(
      ['https://a.example', 'https://b.example'],
    );
  });
});

describe('TRUSTED_PROXIES and AUTH_JWKS_REFRESH_SECONDS', () => {
  it('defaults to loopback, takes addresses, CIDRs and range names, and refuses anything else', () => {
    expect(loadEnv(commonEnv, {}).TRUSTED_PROXIES).toEqual(['loopback']);
    expect(loadEnv(commonEnv, { TRUSTED_PROXIES: '' }).TRUSTED_PROXIES).toEqual([]);
    expect(
      loadEnv(commonEnv, { TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7,2001:db8::/32, uniquelocal' })
        .TRUSTED_PROXIES,
    ).toEqual(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', 'uniquelocal']);
    for (const bad of ['10.0.0.0/33', 'example.com', '1.2.3.4/8/9', '*', '::1/129'])
      expect(() => loadEnv(commonEnv, { TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
  });

  it('bounds the JWKS refresh interval', () => {
    expect(loadEnv(tokenVerifierEnv, {}).AUTH_JWKS_REFRESH_SECONDS).toBe(60);
    for (const bad of ['0', '4', '1.5', 'soon', '86401'])
      expect(() => loadEnv(tokenVerifierEnv, { AUTH_JWKS_REFRESH_SECONDS: bad })).toThrow(
        /AUTH_JWKS_REFRESH_SECONDS/,
      );
  });
});
