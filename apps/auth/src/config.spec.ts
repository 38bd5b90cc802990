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
    expect(config.audit.retentionDays).toBe(365);
    expect(config.oidc).toBeNull();
    expect(config.accountDeletion.eraseMessages).toBe('allowed');
  });

  it('turns single sign-on on with all three OIDC settings, and refuses a partial set by name', () => {
    const oidc = {
      OIDC_ISSUER: 'https://id.example.com/',
      OIDC_CLIENT_ID: 'chat',
      OIDC_CLIENT_SECRET: 's3cret',
    };
    expect(loadAuthConfig(oidc).oidc).toMatchObject({ issuer: 'https://id.example.com', clientId: 'chat' });
    expect(() => loadAuthConfig({ ...oidc, OIDC_CLIENT_SECRET: '' })).toThrow(/OIDC_CLIENT_SECRET: needed/);
    expect(() => loadAuthConfig({ OIDC_ISSUER: 'ftp://id.example.com' })).toThrow(/OIDC_ISSUER/);
    expect(() => loadAuthConfig({ AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS/);
    expect(() => loadAuthConfig({ ACCOUNT_ERASE_MESSAGES: 'sometimes' })).toThrow(/ACCOUNT_ERASE_MESSAGES/);
  });
});
