import { loadAuthConfig } from './config';

describe('auth config', () => {
  it('stops at boot naming a bad variable', () => {
    expect(() => loadAuthConfig({ AUTH_PORT: 'eighty' })).toThrow(/AUTH_PORT/);
    expect(() => loadAuthConfig({ ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
  });

  it('has a local default for every variable', () => {
    const config = loadAuthConfig({});
    expect(config.port).toBe(3001);
    expect(config.database.url).toMatch(/^postgres:\/\//);
    expect(config.redis.url).toBe('');
    expect(config.jwt.keysDir).toBe('./data/keys');
    expect(config.jwt.accessTtlSeconds).toBe(900);
  });
});
