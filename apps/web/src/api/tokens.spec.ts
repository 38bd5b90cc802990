import type { AuthResult } from '@chat/contracts';
import { alice, deferred } from '../testing/fixtures';
import { ApiError } from './errors';
import { TokenManager, type Session, type SessionStorage } from './tokens';

let issued = 0;
const auth = (expiresIn = 900): AuthResult => {
  issued++;
  return { user: alice, accessToken: `access-${issued}`, refreshToken: `refresh-${issued}`, expiresIn };
};

function memoryStorage(initial: Session | null = null): SessionStorage & { value: Session | null } {
  const s = {
    value: initial,
    load: () => s.value,
    save: (v: Session | null) => {
      s.value = v;
    },
  };
  return s;
}

function setup(opts: { refresh?: (token: string) => Promise<AuthResult> } = {}) {
  let now = 1_000_000;
  const storage = memoryStorage();
  const calls: string[] = [];
  const tm = new TokenManager({
    storage,
    now: () => now,
    refreshCall: (token) => {
      calls.push(token);
      return opts.refresh ? opts.refresh(token) : Promise.resolve(auth());
    },
  });
  return { tm, storage, calls, advance: (ms: number) => (now += ms) };
}

describe('token refresh', () => {
  beforeEach(() => {
    issued = 0;
  });

  it('hands out the current token while it is fresh', async () => {
    const { tm, calls } = setup();
    tm.signIn(auth());
    await expect(tm.getAccessToken()).resolves.toBe('access-1');
    expect(calls).toEqual([]);
  });

  it('refreshes before expiry, not after', async () => {
    const { tm, calls, advance } = setup();
    tm.signIn(auth(900));
    advance(900_000 - 59_000); // inside the one-minute margin
    await expect(tm.getAccessToken()).resolves.toBe('access-2');
    expect(calls).toEqual(['refresh-1']);
  });

  it('shares one refresh between concurrent callers (a refresh token is single-use)', async () => {
    const gate = deferred<AuthResult>();
    const { tm, calls, advance } = setup({ refresh: () => gate.promise });
    tm.signIn(auth(900));
    advance(900_000);
    const all = Promise.all([
      tm.getAccessToken(),
      tm.getAccessToken(),
      tm.refresh().then((s) => s.accessToken),
    ]);
    gate.resolve(auth());
    await expect(all).resolves.toEqual(['access-2', 'access-2', 'access-2']);
    expect(calls).toEqual(['refresh-1']);
  });

  it('starts a new refresh after the previous one finished', async () => {
    const { tm, calls } = setup();
    tm.signIn(auth());
    await tm.refresh();
    await tm.refresh();
    expect(calls).toEqual(['refresh-1', 'refresh-2']);
  });

  it('after a 401 refreshes only if nobody refreshed in the meantime', async () => {
    const { tm, calls } = setup();
    tm.signIn(auth());
    const used = 'access-1';
    const [a, b] = await Promise.all([tm.tokenAfterUnauthorized(used), tm.tokenAfterUnauthorized(used)]);
    expect([a, b]).toEqual(['access-2', 'access-2']);
    expect(await tm.tokenAfterUnauthorized(used)).toBe('access-2');
    expect(calls).toEqual(['refresh-1']);
  });

  it('ends the login when the refresh token is refused, and tells listeners', async () => {
    const { tm, storage } = setup({
      refresh: () => Promise.reject(new ApiError('UNAUTHORIZED', 'Invalid refresh token', 401)),
    });
    const seen: (Session | null)[] = [];
    tm.onChange((s) => seen.push(s));
    tm.signIn(auth());
    await expect(tm.refresh()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(tm.current).toBeNull();
    expect(storage.value).toBeNull();
    expect(seen.at(-1)).toBeNull();
  });

  it('keeps the login through a network failure', async () => {
    const { tm } = setup({ refresh: () => Promise.reject(new ApiError('UNAVAILABLE', 'offline')) });
    tm.signIn(auth());
    await expect(tm.refresh()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(tm.current?.refreshToken).toBe('refresh-1');
  });

  it('adopts tokens another tab already refreshed instead of spending the old one', async () => {
    const { tm, storage, calls } = setup();
    tm.signIn(auth());
    // Another tab refreshed while this one waited for the lock.
    storage.value = { ...storage.value!, accessToken: 'access-other', refreshToken: 'refresh-other' };
    await expect(tm.refresh()).resolves.toMatchObject({ accessToken: 'access-other' });
    expect(calls).toEqual([]);
  });

  it('never writes an older pair over one another tab stored (profile updates included)', async () => {
    const { tm, storage, calls, advance } = setup();
    tm.signIn(auth());
    advance(1000);
    // Another tab refreshed: storage holds a newer pair than this tab's memory.
    const newer = {
      ...storage.value!,
      accessToken: 'access-other',
      refreshToken: 'refresh-other',
      expiresAt: storage.value!.expiresAt + 1000,
    };
    storage.value = newer;
    tm.updateUser({ ...alice, roles: ['admin'] });
    expect(storage.value).toMatchObject({ refreshToken: 'refresh-other', user: { roles: ['admin'] } });
    // And a refresh from here spends the newest token, not the one this tab started with.
    advance(900_000);
    await tm.refresh();
    expect(calls).toEqual(['refresh-other']);
  });

  it('reads the pair under the lock from the shared store, which localStorage may lag behind', async () => {
    const local = memoryStorage();
    let shared: Session | null = null;
    const calls: string[] = [];
    let now = 1_000_000;
    const tm = new TokenManager({
      storage: {
        ...local,
        loadShared: () => Promise.resolve(shared),
        saveShared: (s) => {
          shared = s;
          return Promise.resolve();
        },
      },
      now: () => now,
      refreshCall: (t) => {
        calls.push(t);
        return Promise.resolve(auth());
      },
    });
    tm.signIn(auth());
    expect(shared).toMatchObject({ refreshToken: 'refresh-1' });
    // Another tab refreshed: the shared store has its pair, this tab's localStorage not yet.
    now += 900_000;
    shared = {
      ...shared!,
      accessToken: 'access-tab2',
      refreshToken: 'refresh-tab2',
      expiresAt: now + 900_000,
    };
    await expect(tm.getAccessToken()).resolves.toBe('access-tab2');
    expect(calls).toEqual([]);
    // This tab's own refresh later spends the newest token and writes it through.
    now += 900_000;
    await tm.refresh();
    expect(calls).toEqual(['refresh-tab2']);
    expect(shared).toMatchObject({ refreshToken: 'refresh-2' });
  });

  it('ignores a stale pair announced by another tab', () => {
    let listener: ((s: Session | null) => void) | undefined;
    const storage = memoryStorage();
    const tm = new TokenManager({
      storage: { ...storage, subscribe: (l) => ((listener = l), () => undefined) },
      refreshCall: () => Promise.resolve(auth()),
    });
    tm.signIn(auth());
    const current = tm.current!;
    listener!({ ...current, refreshToken: 'old', accessToken: 'old', expiresAt: current.expiresAt - 60_000 });
    expect(tm.current?.refreshToken).toBe(current.refreshToken);
    listener!(null);
    expect(tm.current).toBeNull();
  });

  it('persists the session so a reload stays logged in', () => {
    const { tm, storage } = setup();
    tm.signIn(auth());
    const again = new TokenManager({ storage, refreshCall: () => Promise.resolve(auth()) });
    expect(again.user?.username).toBe('alice');
    expect(again.current?.accessToken).toBe('access-1');
  });

  it('refreshes on a timer before expiry', async () => {
    const timers: { fn: () => void; ms: number }[] = [];
    const storage = memoryStorage();
    const calls: string[] = [];
    const tm = new TokenManager({
      storage,
      refreshCall: (t) => {
        calls.push(t);
        return Promise.resolve(auth());
      },
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => undefined,
      // One instant for signing in and scheduling: the wall clock may tick a millisecond between.
      now: () => 1_000_000,
    });
    tm.signIn(auth(900));
    const last = timers.at(-1)!;
    expect(last.ms).toBe(840_000);
    last.fn();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(['refresh-1']);
  });
});
