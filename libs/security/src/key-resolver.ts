import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Finds the public key for a token's `kid`: a PEM string or an already parsed key. It is asked on
 * every verification, so it decides whether a key is still trusted (TokenVerifier keeps no list of
 * its own).
 */
export interface KeyResolver {
  publicKey(kid: string): Promise<string | KeyObject>;
}

export interface JwksKeyResolverOptions {
  /** How often the JWKS is fetched again: a key removed from it stops verifying within this. */
  refreshSeconds: number;
  /**
   * Fetches a minute caused by tokens naming a `kid` that is not in the set (a rotation this
   * replica has not seen yet), so a flood of forged kids cannot hammer auth. Default 10.
   */
  unknownKidFetchesPerMinute?: number;
  /** Per fetch. */
  timeoutMs?: number;
  /** Warnings (a failed refresh); defaults to console.warn. */
  warn?: (message: string) => void;
  /** Injectable for tests. */
  fetch?: typeof fetch;
}

/** Largest JWKS document read: a handful of EC keys is well under 2 KB. */
const MAX_JWKS_BYTES = 64 * 1024;

interface JwkLike {
  kty?: unknown;
  crv?: unknown;
  kid?: unknown;
  use?: unknown;
  alg?: unknown;
  x?: unknown;
  y?: unknown;
}

/** The ES256 keys of a JWKS document, parsed; entries that are not EC P-256 signing keys are left out. */
export function parseJwks(doc: unknown): Map<string, KeyObject> {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('JWKS without a keys array');
  const out = new Map<string, KeyObject>();
  for (const k of keys as JwkLike[]) {
    if (!k || typeof k !== 'object') continue;
    if (typeof k.kid !== 'string' || k.kid.length === 0 || k.kid.length > 128) continue;
    if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.x !== 'string' || typeof k.y !== 'string') continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (k.alg !== undefined && k.alg !== 'ES256') continue;
    try {
      out.set(k.kid, createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: k.x, y: k.y }, format: 'jwk' }));
    } catch {
      /* not a point on the curve: skip it */
    }
  }
  return out;
}

/**
 * The auth service's JWKS as the one source of trusted keys, refreshed every `refreshSeconds`:
 *
 * - a key removed from the JWKS (say after a compromise) stops verifying at the first successful
 *   refresh, at most `refreshSeconds` later, on every replica, without a restart;
 * - a token naming a kid not in the set (a rotation not yet seen) triggers a fetch at once, but at
 *   most `unknownKidFetchesPerMinute` a minute (forged kids cannot hammer auth);
 * - a failed fetch keeps the set of the last successful one (stale-while-error: an auth blip does
 *   not log everyone out), and never brings back a key an earlier successful fetch removed;
 * - parsed keys are reused between verifications (parsing a PEM on every one cost ~5% of a busy
 *   gateway), and across refreshes while their material is unchanged: a handshake's cache of
 *   verified tokens holds the key object that verified each one.
 */
export class JwksKeyResolver implements KeyResolver {
  private keys = new Map<string, KeyObject>();
  /** When the set was last replaced by a successful fetch (0: never). */
  private fetchedAt = 0;
  private lastAttempt = 0;
  /** Token bucket of unknown-kid fetches. */
  private unknownKidBudget: number;
  private unknownKidBudgetAt = 0;
  /** The last fetch failed. */
  private failing = false;
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly refreshMs: number;
  private readonly cooldownMs: number;
  private readonly perMinute: number;
  private readonly timeoutMs: number;
  private readonly warn: (m: string) => void;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly jwksUri: string,
    opts: JwksKeyResolverOptions,
  ) {
    this.refreshMs = Math.max(1, opts.refreshSeconds) * 1000;
    this.perMinute = Math.max(1, opts.unknownKidFetchesPerMinute ?? 10);
    this.unknownKidBudget = this.perMinute;
    // A failing auth is retried in the background at most this often.
    this.cooldownMs = 60_000 / this.perMinute;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** Starts the periodic refresh (idempotent; the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** For metrics and tests: the kids trusted right now and the age of the set. */
  snapshot(): { kids: string[]; ageMs: number | undefined } {
    return {
      kids: [...this.keys.keys()],
      ageMs: this.fetchedAt ? Date.now() - this.fetchedAt : undefined,
    };
  }

  async publicKey(kid: string): Promise<KeyObject> {
    this.start();
    const now = Date.now();
    // Due (the timer fell behind, or the set was never fetched): refresh first, so a removed key
    // is not used past the interval. While auth is failing, retry in the background at most once
    // per cooldown and answer from the last good set (no request waits on a dead auth).
    if (
      now - this.fetchedAt >= this.refreshMs &&
      now - this.lastAttempt >= Math.min(this.cooldownMs, this.refreshMs)
    ) {
      const attempt = this.refresh().catch(() => undefined);
      if (!this.failing || this.fetchedAt === 0) await attempt;
    }
    let key = this.keys.get(kid);
    // A fetch already under way (the first one of a fresh replica, a rotation another token
    // triggered) answers for this kid too: wait for it rather than spending the unknown-kid budget,
    // or a burst of handshakes on a new replica would be refused once the budget ran out.
    if (!key && this.inFlight) {
      await this.inFlight.catch(() => undefined);
      key = this.keys.get(kid);
    }
    if (!key && this.takeUnknownKidFetch()) {
      await this.refresh().catch(() => undefined);
      key = this.keys.get(kid);
    }
    if (!key) throw new Error('unknown kid');
    return key;
  }

  private takeUnknownKidFetch(): boolean {
    const now = Date.now();
    if (this.unknownKidBudgetAt)
      this.unknownKidBudget = Math.min(
        this.perMinute,
        this.unknownKidBudget + ((now - this.unknownKidBudgetAt) * this.perMinute) / 60_000,
      );
    this.unknownKidBudgetAt = now;
    if (this.unknownKidBudget < 1) return false;
    this.unknownKidBudget -= 1;
    return true;
  }

  /** Fetches the JWKS now (one fetch at a time); the set is replaced only on success. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchOnce(): Promise<void> {
    this.lastAttempt = Date.now();
    try {
      const res = await this.fetchFn(this.jwksUri, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS too large');
      const keys = parseJwks(JSON.parse(text));
      // An empty set would refuse every token: treat it as a failed fetch, keep the last one.
      if (keys.size === 0) throw new Error('JWKS has no ES256 key');
      // A key the refresh did not change stays the same object, so what was verified with it
      // (VerifiedTokens) still counts; a changed or removed key does not.
      for (const [kid, key] of keys) {
        const before = this.keys.get(kid);
        if (before?.equals(key)) keys.set(kid, before);
      }
      this.keys = keys;
      this.fetchedAt = Date.now();
      this.failing = false;
    } catch (err) {
      this.failing = true;
      this.warn(
        `JWKS refresh from ${this.jwksUri} failed (${(err as Error).message}); keeping the ${this.keys.size} key(s) of the last successful fetch`,
      );
      throw err;
    }
  }
}
