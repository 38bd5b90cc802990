import type { AuthResult, User } from '@chat/contracts';
import { ApiError } from './errors';

/** What the client keeps of a login. */
export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since epoch, client clock). */
  expiresAt: number;
  /** Lifetime of the access token in ms, to decide how early to refresh. */
  lifetimeMs: number;
}

/** Where the session lives between reloads (localStorage in the browser, a map in tests). */
export interface SessionStorage {
  load(): Session | null;
  save(session: Session | null): void;
  /** Changes made by another tab; returns an unsubscribe function. */
  subscribe?(listener: (session: Session | null) => void): () => void;
  /**
   * The same session from a store every tab sees consistently (IndexedDB), read and written under
   * the refresh lock. localStorage alone is not enough there: Chromium propagates its writes to
   * other tabs asynchronously, so a tab taking the lock right after another one released it can
   * still read the spent refresh token.
   */
  loadShared?(): Promise<Session | null>;
  saveShared?(session: Session | null): Promise<void>;
}

export interface TokenManagerDeps {
  /** POST /auth/refresh; throws ApiError (UNAUTHORIZED when the refresh token is no good). */
  refreshCall(refreshToken: string): Promise<AuthResult>;
  storage: SessionStorage;
  now?: () => number;
  /**
   * Runs `fn` while holding a lock shared by every tab of this origin (Web Locks). Refresh tokens
   * are single-use and reuse revokes the whole login, so two tabs must never spend the same one.
   */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export function sessionFromAuth(result: AuthResult, now: number): Session {
  const lifetimeMs = Math.max(1, result.expiresIn) * 1000;
  return {
    user: result.user,
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    expiresAt: now + lifetimeMs,
    lifetimeMs,
  };
}

/** Refresh this long before expiry: a minute, or a quarter of a short lifetime. */
export function refreshMargin(session: Session): number {
  return Math.min(60_000, session.lifetimeMs / 4);
}

/**
 * Holds the tokens and renews them silently: on a timer before the access token expires, when a
 * caller asks for a token that is about to expire, and after a 401. Every caller that needs a
 * refresh at the same moment shares one request (a second POST /auth/refresh with the same token
 * would be taken as token theft by the auth service and end the login).
 */
export class TokenManager {
  private session: Session | null;
  private inflight: Promise<Session> | null = null;
  private timer: unknown = null;
  private readonly listeners = new Set<(session: Session | null) => void>();
  private readonly now: () => number;
  private readonly unsubscribeStorage?: () => void;

  constructor(private readonly deps: TokenManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.session = deps.storage.load();
    this.unsubscribeStorage = deps.storage.subscribe?.((s) => this.adopt(s));
    this.schedule();
  }

  get current(): Session | null {
    return this.session;
  }

  get user(): User | null {
    return this.session?.user ?? null;
  }

  /** Listens to log-in, refresh and log-out (including those made by another tab). */
  onChange(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After login or register. */
  signIn(result: AuthResult): Session {
    const s = sessionFromAuth(result, this.now());
    this.set(s, true);
    return s;
  }

  /** Forget the login locally (the server call, if any, is the caller's). */
  signOut(): void {
    this.set(null, true);
  }

  updateUser(user: User): void {
    const s = this.newest();
    if (s && s.user.id === user.id) this.set({ ...s, user }, true);
  }

  /** A token that is valid for at least the refresh margin, refreshing first when needed. */
  async getAccessToken(): Promise<string> {
    const s = this.session;
    if (!s) throw new ApiError('UNAUTHORIZED', 'Not signed in', 401);
    if (this.now() < s.expiresAt - refreshMargin(s)) return s.accessToken;
    return (await this.refresh()).accessToken;
  }

  /**
   * A request made with `usedToken` got a 401. If the token has changed since (someone else
   * refreshed meanwhile) the new one is returned as is; otherwise the tokens are refreshed.
   */
  async tokenAfterUnauthorized(usedToken: string): Promise<string> {
    const s = this.session;
    if (!s) throw new ApiError('UNAUTHORIZED', 'Not signed in', 401);
    if (s.accessToken !== usedToken) return s.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Renews the tokens; concurrent callers share one request. */
  refresh(): Promise<Session> {
    if (!this.inflight) {
      const asked = this.session?.refreshToken;
      const run = () => this.doRefresh(asked);
      const p = this.deps.withLock ? this.deps.withLock(run) : run();
      this.inflight = p.finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  dispose(): void {
    this.clearTimer();
    this.unsubscribeStorage?.();
    this.listeners.clear();
  }

  /** `asked`: the refresh token held when the refresh was requested. */
  private async doRefresh(asked: string | undefined): Promise<Session> {
    const mine = this.session;
    if (!mine) throw new ApiError('UNAUTHORIZED', 'Not signed in', 401);
    // Another tab may have refreshed (or logged out) while we waited for the lock.
    const stored = await this.loadShared();
    if (!stored || stored.user.id !== mine.user.id) {
      this.set(stored, false);
      if (!stored) throw new ApiError('UNAUTHORIZED', 'Signed out', 401);
      return stored;
    }
    const newest = stored.expiresAt >= mine.expiresAt ? stored : mine;
    // Someone (another tab, or this one through a storage event) refreshed since we asked.
    if (newest.refreshToken !== asked && this.now() < newest.expiresAt - refreshMargin(newest)) {
      this.set(newest, false);
      return newest;
    }
    try {
      const result = await this.deps.refreshCall(newest.refreshToken);
      const next = sessionFromAuth(result, this.now());
      this.set(next, true);
      // Written through before the lock is released, so the next tab to take it reads this pair.
      await this.deps.storage.saveShared?.(next).catch(() => undefined);
      return next;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') {
        // Spent, revoked or the user is banned: the login is over.
        this.set(null, true);
      } else {
        // Network trouble: keep the login and try again soon.
        this.schedule(5_000);
      }
      throw err;
    }
  }

  private adopt(session: Session | null): void {
    const cur = this.session;
    if (cur?.refreshToken === session?.refreshToken && cur?.user.id === session?.user.id) return;
    // Never step back to an older (spent) pair of the same login.
    if (session && cur && session.user.id === cur.user.id && session.expiresAt < cur.expiresAt) return;
    this.set(session, false);
  }

  /**
   * The most recent pair of this login, between memory and storage (tabs share storage). Each
   * refresh gives a later expiry, and every tab reads the same clock, so the later expiry is newer.
   */
  private newest(): Session | null {
    const mine = this.session;
    const stored = this.deps.storage.load();
    if (!mine) return stored;
    if (!stored || stored.user.id !== mine.user.id) return mine;
    return stored.expiresAt >= mine.expiresAt ? stored : mine;
  }

  /** The shared copy when there is one (falling back to localStorage if it is empty or fails). */
  private async loadShared(): Promise<Session | null> {
    const shared = await this.deps.storage.loadShared?.().catch(() => null);
    return shared ?? this.deps.storage.load();
  }

  private set(session: Session | null, persist: boolean): void {
    this.session = session;
    if (persist) {
      this.deps.storage.save(session);
      this.deps.storage.saveShared?.(session).catch(() => undefined);
    }
    this.schedule();
    for (const l of [...this.listeners]) l(session);
  }

  private schedule(overrideMs?: number): void {
    this.clearTimer();
    const s = this.session;
    if (!s || !this.deps.setTimer) return;
    const due = overrideMs ?? Math.max(0, s.expiresAt - refreshMargin(s) - this.now());
    // Browsers overflow timers past ~24.8 days; nothing needs that long anyway.
    this.timer = this.deps.setTimer(
      () => {
        this.timer = null;
        this.refresh().catch(() => undefined);
      },
      Math.min(due, 2 ** 31 - 1),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.deps.clearTimer?.(this.timer);
    this.timer = null;
  }
}

/** localStorage-backed session storage that also hears other tabs. */
export function browserSessionStorage(key = 'chat.session'): SessionStorage {
  const parse = (raw: string | null): Session | null => {
    if (!raw) return null;
    try {
      const s = JSON.parse(raw) as Session;
      return s && typeof s.accessToken === 'string' && typeof s.refreshToken === 'string' && s.user
        ? s
        : null;
    } catch {
      return null;
    }
  };
  const shared = indexedDbCell(key);
  return {
    ...(shared
      ? {
          loadShared: () => shared.get().then((v) => parse(v)),
          saveShared: (s) => shared.set(s ? JSON.stringify(s) : null),
        }
      : {}),
    load: () => parse(localStorage.getItem(key)),
    save: (s) => (s ? localStorage.setItem(key, JSON.stringify(s)) : localStorage.removeItem(key)),
    subscribe: (listener) => {
      const onStorage = (e: StorageEvent) => {
        if (e.key === key || e.key === null) listener(parse(localStorage.getItem(key)));
      };
      window.addEventListener('storage', onStorage);
      return () => window.removeEventListener('storage', onStorage);
    },
  };
}

/** One string value in IndexedDB (null when the browser has none, e.g. some private modes). */
function indexedDbCell(
  key: string,
): { get(): Promise<string | null>; set(v: string | null): Promise<void> } | null {
  if (typeof indexedDB === 'undefined') return null;
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('chat', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
    });
  const run = async <T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    db ??= open();
    const d = await db.catch((err: unknown) => {
      db = null;
      throw err;
    });
    return new Promise<T>((resolve, reject) => {
      const tx = d.transaction('kv', mode);
      const req = op(tx.objectStore('kv'));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    get: async () => {
      const v = await run<unknown>('readonly', (s) => s.get(key));
      return typeof v === 'string' ? v : null;
    },
    set: async (v) => {
      await run('readwrite', (s) => (v === null ? s.delete(key) : s.put(v, key)));
    },
  };
}

/** Web Locks when the browser has them (secure contexts); otherwise no cross-tab lock. */
export function browserLock(
  name = 'chat.token-refresh',
): (<T>(fn: () => Promise<T>) => Promise<T>) | undefined {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return undefined;
  // request() resolves with what fn resolves with; awaiting flattens the nested Promise type.
  return async <T>(fn: () => Promise<T>): Promise<T> => await locks.request(name, fn);
}
