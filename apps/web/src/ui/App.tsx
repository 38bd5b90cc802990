import { useEffect, useRef, useState } from 'react';
import type { User } from '@chat/contracts';
import { AuthApi, ChatApi } from '../api/chat-api';
import { Http, refreshCall } from '../api/http';
import { browserLock, browserSessionStorage, TokenManager, type Session } from '../api/tokens';
import { restore } from '../state/outbox';
import { ChatStore } from '../state/store';
import { Realtime } from '../realtime/connection';
import { AuthScreen } from './AuthScreen';
import { BlobCache } from './blob-cache';
import { ChatShell } from './ChatShell';
import { RuntimeContext, type Runtime } from './runtime';

/** Same origin as the page: the front door routes /auth, /files, /socket.io and the REST prefixes. */
const ORIGIN = window.location.origin;

const tokens = new TokenManager({
  storage: browserSessionStorage(),
  refreshCall: refreshCall((i, init) => fetch(i, init), ORIGIN),
  withLock: browserLock(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
});
const authApi = new AuthApi(ORIGIN);

const outboxKey = (userId: string) => `chat.outbox.${userId}`;

/** Set just before a sign-out the person asked for, to tell it from a session that ended on its own. */
let signingOut = false;

export function App() {
  const [session, setSession] = useState<Session | null>(tokens.current);
  const [notice, setNotice] = useState<string | null>(null);
  const shown = useRef(session);
  useEffect(
    () =>
      tokens.onChange((next) => {
        if (shown.current && !next && !signingOut) setNotice('Your session has ended. Please sign in again.');
        if (next) setNotice(null);
        signingOut = false;
        shown.current = next;
        setSession(next);
      }),
    [],
  );
  const userId = session?.user.id;

  if (!session || !userId) {
    return <AuthScreen api={authApi} notice={notice} onSignedIn={(r) => tokens.signIn(r)} />;
  }
  // Keyed by user: another login (or another tab's) starts from a clean slate.
  return <SignedIn key={userId} user={session.user} />;
}

function SignedIn({ user }: { user: User }) {
  // Once per mount: the parent keys this component by user id.
  const [runtime] = useState(() => createRuntime(user));
  useEffect(() => {
    runtime.start();
    return () => runtime.stop();
  }, [runtime]);
  return (
    <RuntimeContext.Provider value={runtime.value}>
      <ChatShell />
    </RuntimeContext.Provider>
  );
}

function createRuntime(user: User): { value: Runtime; start(): void; stop(): void } {
  const api = new ChatApi(new Http(ORIGIN, tokens), tokens);
  // The socket and the store need each other; the socket reads its handlers only once started.
  let store: ChatStore | null = null;
  const realtime = new Realtime(ORIGIN, tokens, {
    onState: (s) => store?.setConnection(s),
    onConnected: () => void store?.onConnected(),
    get events() {
      if (!store) throw new Error('store not ready');
      return store.events;
    },
  });
  const chat = new ChatStore({
    me: user,
    rest: api,
    rt: realtime,
    isVisible: () => document.visibilityState === 'visible',
    outboxStorage: {
      load: () => restore(localStorage.getItem(outboxKey(user.id))),
      save: (box) =>
        box.length
          ? localStorage.setItem(outboxKey(user.id), JSON.stringify(box))
          : localStorage.removeItem(outboxKey(user.id)),
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  });
  store = chat;
  const blobs = new BlobCache(api);
  const onVisible = () => {
    if (document.visibilityState === 'visible') chat.onVisible();
  };
  const signOut = () => {
    const refreshToken = tokens.current?.refreshToken;
    // Messages still queued on this device are dropped with the login (a shared computer).
    localStorage.removeItem(outboxKey(user.id));
    signingOut = true;
    tokens.signOut();
    if (refreshToken) authApi.logout(refreshToken).catch(() => undefined);
  };
  return {
    value: { store: chat, api, tokens, blobs, signOut },
    start() {
      realtime.start();
      void chat.loadChannels();
      void chat.loadThreads();
      // Roles may have changed since the login was stored (promoted, demoted).
      api.me().then(
        (me) => {
          tokens.updateUser(me);
          chat.setMe(me);
        },
        () => undefined,
      );
      document.addEventListener('visibilitychange', onVisible);
      window.addEventListener('focus', onVisible);
    },
    stop() {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
      realtime.stop();
      chat.dispose();
      blobs.revokeAll();
    },
  };
}
