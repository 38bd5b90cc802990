import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { JwksKeyResolver } from './key-resolver';

function jwkOf(pub: KeyObject) {
  const { kty, crv, x, y } = pub.export({ format: 'jwk' }) as Record<string, string>;
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
  return { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' };
}

const newJwk = () => jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);

/** A JWKS endpoint under the test's control: its key set, an outage switch, and a fetch count. */
function fakeAuth(keys: object[]) {
  const state = { keys, down: false, fetches: 0 };
  const fetchFn = (() => {
    state.fetches++;
    if (state.down) return Promise.reject(new TypeError('fetch failed'));
    return Promise.resolve(new Response(JSON.stringify({ keys: state.keys }), { status: 200 }));
  }) as unknown as typeof fetch;
  return { state, fetchFn };
}

describe('JwksKeyResolver', () => {
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  const resolver = (fetchFn: typeof fetch) =>
    new JwksKeyResolver('http://auth/jwks', {
      refreshSeconds: 60,
      unknownKidFetchesPerMinute: 6,
      fetch: fetchFn,
      warn: () => undefined,
    });

  it('verifies with a rotated-in key at once, and stops trusting a removed key at the next refresh', async () => {
    const a = newJwk();
    const b = newJwk();
    const auth = fakeAuth([a]);
    const r = resolver(auth.fetchFn);
    try {
      await expect(r.publicKey(a.kid)).resolves.toBeDefined();
      expect(auth.state.fetches).toBe(1);
      // Rotation: b is new, a still served as a previous key. An unknown kid fetches at once.
      auth.state.keys = [b, a];
      now += 1000;
      await expect(r.publicKey(b.kid)).resolves.toBeDefined();
      expect(auth.state.fetches).toBe(2);
      // Removal of a: still trusted until the interval has passed since the last fetch...
      auth.state.keys = [b];
      now += 30_000;
      await expect(r.publicKey(a.kid)).resolves.toBeDefined();
      // ...and refused once it has, with no restart.
      now += 31_000;
      await expect(r.publicKey(a.kid)).rejects.toThrow(/unknown kid/);
      await expect(r.publicKey(b.kid)).resolves.toBeDefined();
    } finally {
      r.stop();
    }
  });

  it('keeps the last good set while the JWKS cannot be fetched, but never brings back a removed key', async () => {
    const a = newJwk();
    const b = newJwk();
    const auth = fakeAuth([a, b]);
    const r = resolver(auth.fetchFn);
    try {
      await r.publicKey(a.kid);
      auth.state.keys = [b]; // a removed
      now += 61_000;
      await expect(r.publicKey(b.kid)).resolves.toBeDefined();
      await expect(r.publicKey(a.kid)).rejects.toThrow();
      // Auth goes down, and comes back serving the old set (say a stale replica): while down, b
      // still verifies; a stays refused while down.
      auth.state.down = true;
      now += 61_000;
      await expect(r.publicKey(b.kid)).resolves.toBeDefined();
      now += 600_000;
      await expect(r.publicKey(b.kid)).resolves.toBeDefined();
      now += 11_000;
      await expect(r.publicKey(a.kid)).rejects.toThrow();
      expect(r.snapshot().kids).toEqual([b.kid]);
    } finally {
      r.stop();
    }
  });

  it('answers a burst of handshakes on a fresh replica from its first fetch', async () => {
    const a = newJwk();
    const auth = fakeAuth([a]);
    const r = resolver(auth.fetchFn);
    try {
      // Far more concurrent verifications than the unknown-kid budget (6 a minute): one fetch.
      const keys = await Promise.all(Array.from({ length: 50 }, () => r.publicKey(a.kid)));
      expect(keys.every(Boolean)).toBe(true);
      expect(auth.state.fetches).toBe(1);
    } finally {
      r.stop();
    }
  });

  it('fetches for unknown kids at most the allowed number of times a minute', async () => {
    const a = newJwk();
    const auth = fakeAuth([a]);
    const r = resolver(auth.fetchFn);
    try {
      await r.publicKey(a.kid);
      const before = auth.state.fetches;
      for (let i = 0; i < 500; i++) await expect(r.publicKey(`forged-${i}`)).rejects.toThrow();
      expect(auth.state.fetches - before).toBe(6);
      now += 10_001;
      for (let i = 0; i < 500; i++) await expect(r.publicKey(`forged-x${i}`)).rejects.toThrow();
      expect(auth.state.fetches - before).toBe(7);
    } finally {
      r.stop();
    }
  });

  it('ignores keys that are not ES256 signing keys, and an empty set does not replace a good one', async () => {
    const a = newJwk();
    const auth = fakeAuth([
      a,
      { ...newJwk(), alg: 'RS256' },
      { ...newJwk(), use: 'enc' },
      { kty: 'oct', kid: 'h' },
    ]);
    const r = resolver(auth.fetchFn);
    try {
      await r.publicKey(a.kid);
      expect(r.snapshot().kids).toEqual([a.kid]);
      auth.state.keys = [];
      now += 61_000;
      await expect(r.publicKey(a.kid)).resolves.toBeDefined();
    } finally {
      r.stop();
    }
  });

  it('keeps an unchanged key as the same object across refreshes, so tokens verified with it still count', async () => {
    const a = newJwk();
    const auth = fakeAuth([a]);
    const r = resolver(auth.fetchFn);
    try {
      const first = await r.publicKey(a.kid);
      now += 61_000;
      expect(await r.publicKey(a.kid)).toBe(first);
      expect(auth.state.fetches).toBe(2);
      // The same kid served with other material is another key: what it verified no longer counts.
      auth.state.keys = [{ ...newJwk(), kid: a.kid }];
      now += 61_000;
      const replaced = await r.publicKey(a.kid);
      expect(auth.state.fetches).toBe(3);
      expect(replaced).not.toBe(first);
      expect(replaced.equals(first)).toBe(false);
    } finally {
      r.stop();
    }
  });
});
