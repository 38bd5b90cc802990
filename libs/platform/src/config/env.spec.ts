import { commonEnv, loadEnv } from './env';

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
