import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { User } from '@chat/contracts';
import { AuthApi, ChatApi } from '../api/chat-api';
import { Http, refreshCall } from '../api/http';
import { browserLock, browserSessionStorage, TokenManager, type Session } from '../api/tokens';
import { restore } from '../state/outbox';
import { ChatStore } from '../state/store';
import { Realtime } from '../realtime/connection';
import { BrowserNotifier } from '../pwa/notifier';
import { disablePush, resyncPush } from '../pwa/push';
import { onWorkerMessage, openInApp } from '../pwa/registration';
import { AuthScreen } from './AuthScreen';
import { BlobCache } from './blob-cache';
import { ChatShell } from './ChatShell';
import { RuntimeContext, type Runtime } from './runtime';
import { TwoFactorGate } from './settings/TwoFactorSettings';

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
  return (
    <RuntimeContext.Provider value={runtime.value}>
      <TwoFactorGate>
        <Started runtime={runtime}>
          <ChatShell />
        </Started>
      </TwoFactorGate>
    </RuntimeContext.Provider>
  );
}

/** Connects and loads the chat once mounted: past the two-factor gate, not before. */
function Started({ runtime, children }: { runtime: { start(): void; stop(): void }; children: ReactNode }) {
  useEffect(() => {
    runtime.start();
    return () => runtime.stop();
  }, [runtime]);
  return <>{children}</>;
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
    notifier: new BrowserNotifier(),
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
  let stopWorkerMessages: () => void = () => undefined;
  const signOut = () => {
    const refreshToken = tokens.current?.refreshToken;
    // Messages still queued on this device are dropped with the login (a shared computer).
    localStorage.removeItem(outboxKey(user.id));
    // Nor may this person's notifications keep arriving here: the device's push subscription goes
    // too, while the token can still say whose it is (bounded, so sign-out never hangs on it).
    const forgetDevice = Promise.race([
      disablePush(api).catch(() => undefined),
      new Promise((done) => setTimeout(done, 3000)),
    ]);
    void forgetDevice.then(() => {
      signingOut = true;
      tokens.signOut();
      if (refreshToken) authApi.logout(refreshToken).catch(() => undefined);
    });
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
      stopWorkerMessages = onWorkerMessage((m) => {
        if (m.type === 'chat:open') openInApp(m.url);
        else chat.events.notification(m.notification);
      });
      void resyncPush(api);
    },
    stop() {
      stopWorkerMessages();
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
      realtime.stop();
      chat.dispose();
      blobs.revokeAll();
    },
  };
}
