import { LIMITS } from '@chat/contracts';
import { hashWebhookSecret, newWebhookSecret, secretMatches, webhookUsername } from './webhook-secrets';

describe('webhook secrets', () => {
  it('are 256 random bits in base64url, matched only by themselves', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    const stored = hashWebhookSecret(secret);
    expect(secretMatches(secret, stored)).toBe(true);
    for (const wrong of ['', 'x', secret.slice(1), `${secret}=`, secret.toUpperCase(), 'é'.repeat(5000)])
      expect(secretMatches(wrong, stored)).toBe(false);
  });

  it('match nothing when there is no webhook', () => {
    expect(secretMatches('', null)).toBe(false);
    expect(secretMatches(newWebhookSecret(), null)).toBe(false);
    // A stored value of the wrong size (a corrupt row) is compared as "no webhook", not thrown on.
    expect(secretMatches('x', Buffer.alloc(3))).toBe(false);
  });
});

describe('webhookUsername', () => {
  const valid = (u: string) =>
    u.length >= LIMITS.usernameMin && u.length <= LIMITS.usernameMax && LIMITS.usernamePattern.test(u);

  it.each([
    ['CI builds', /^ci-builds-hook-[0-9a-f]{4}$/],
    ['  Déploiement – prod!! ', /^deploiement-prod-hook-[0-9a-f]{4}$/],
    ['🚀🚀', /^webhook-hook-[0-9a-f]{4}$/],
    ['---', /^webhook-hook-[0-9a-f]{4}$/],
    ['a'.repeat(64), /^a{22}-hook-[0-9a-f]{4}$/],
    [`${'b'.repeat(21)} c`, /^b{21}-hook-[0-9a-f]{4}$/],
    ['x', /^x-hook-[0-9a-f]{4}$/],
  ])('names %j as a valid username', (name, shape) => {
    const username = webhookUsername(name);
    expect(username).toMatch(shape);
    expect(valid(username)).toBe(true);
  });
});
