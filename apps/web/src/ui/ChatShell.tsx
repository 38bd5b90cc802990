import { useCallback, useEffect, useRef, useState } from 'react';
import { attentionCount, tabTitle } from '../state/attention';
import { FaviconBadge } from '../pwa/badge';
import { Conversation } from './Conversation';
import { titleOf } from '../util/format';
import { BrowseChannelsDialog, CreateChannelDialog, NewDmDialog, type DialogName } from './dialogs';
import { SearchDialog } from './HeaderTools';
import { MembersPanel } from './MembersPanel';
import { ThreadPanel, ThreadsList } from './ThreadPanel';
import { channelHash, isSettingsRoute, parseRoute } from '../util/permalink';
import { Settings } from './Settings';
import { AdminConsole } from './admin/AdminConsole';
import { isAdminRoute } from './admin/admin-logic';
import { useChat, useRuntime } from './runtime';
import { Sidebar } from './Sidebar';
import { Toasts } from './Toasts';

const channelFromHash = (): string | null => parseRoute(window.location.hash)?.channelId ?? null;
const isPhone = () => window.matchMedia('(max-width: 760px)').matches;
const favicon = new FaviconBadge();

/** Settings and the admin console own the address while open: does this one name either? */
function namesPanel(hash: string): boolean {
  return isSettingsRoute(hash) || isAdminRoute(hash);
}

/** The address of a conversation: its channel's hash, or the bare page for none. */
function addressOf(channelId: string | null): string {
  return channelId ? channelHash(channelId) : window.location.pathname + window.location.search;
}

/** The signed-in layout: sidebar, conversation, members; the URL hash names the open channel. */
export function ChatShell() {
  const { store } = useRuntime();
  const channels = useChat((s) => s.channels);
  const loaded = useChat((s) => s.channelsLoaded);
  const activeId = useChat((s) => s.activeId);
  const [navOpen, setNavOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(() => !isPhone());
  const [dialog, setDialog] = useState<DialogName>(null);
  const [threadsOpen, setThreadsOpen] = useState(false);
  /** `#/settings` is open in place of the conversation. */
  const [settings, setSettings] = useState(() => isSettingsRoute(window.location.hash));
  /** `#/admin` is open in place of the conversation (AdminConsole decides who may see it). */
  const [admin, setAdmin] = useState(() => isAdminRoute(window.location.hash));
  const threadOpen = useChat((s) => s.thread !== null);
  /** The message a permalink asked for (`n` renews the same request). */
  const [focus, setFocus] = useState<{ seq: number; n: number } | null>(null);
  const pendingRoute = useRef(parseRoute(window.location.hash));

  const openPermalink = useCallback(
    async (channelId: string, seq: number) => {
      if (!(await store.openAt(channelId, seq))) return;
      setFocus((f) => ({ seq, n: (f?.n ?? 0) + 1 }));
      // A reply lives in its thread: open it there too.
      const m = store.getState().timelines[channelId]?.messages.find((x) => x.seq === seq);
      if (m?.threadId) void store.openThread(m);
    },
    [store],
  );

  const open = useCallback(
    (id: string | null) => {
      setSettings(false);
      setAdmin(false);
      // Leaving settings or the console from here: the address follows at once, so that it is not
      // taken for a settings link whose hashchange is still on its way (see below).
      if (namesPanel(window.location.hash)) history.replaceState(null, '', addressOf(id));
      void store.select(id);
      setNavOpen(false);
    },
    [store],
  );

  // Open what the URL names (a reload keeps the conversation); the first time, with nothing named,
  // open the first channel on wide screens and the channel list on phones.
  const named = useRef(channelFromHash());
  const autoOpened = useRef(false);
  useEffect(() => {
    if (!loaded || activeId) return;
    const want = channelFromHash() ?? named.current;
    if (want && channels.some((c) => c.id === want)) {
      const route = pendingRoute.current;
      pendingRoute.current = null;
      if (route?.seq && route.channelId === want) void openPermalink(want, route.seq);
      else void store.select(want);
      return;
    }
    if (autoOpened.current) return;
    autoOpened.current = true;
    if (isPhone() || !channels.length) setNavOpen(true);
    else void store.select(channels.filter((c) => c.kind !== 'dm')[0]?.id ?? channels[0].id);
  }, [loaded, activeId, channels, store, openPermalink]);

  useEffect(() => {
    const onHash = () => {
      const hash = window.location.hash;
      setSettings(isSettingsRoute(hash));
      setAdmin(isAdminRoute(hash));
      if (namesPanel(hash)) return setNavOpen(false);
      const route = parseRoute(hash);
      if (route?.seq) void openPermalink(route.channelId, route.seq);
      else if (route && route.channelId !== store.getState().activeId) void store.select(route.channelId);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [store, openPermalink]);

  useEffect(() => {
    // Until the list is in, the hash is what we were asked to open: leave it. Settings own theirs,
    // also when the address names them and its hashchange has not been handled yet (a link opened
    // just as the channel list arrived): read from the address, not from state.
    if (!loaded || settings || admin) return;
    if (namesPanel(window.location.hash)) return;
    if (activeId) named.current = activeId;
    // A permalink stays in the address bar while it is the open channel's.
    const route = parseRoute(window.location.hash);
    if (route?.seq && route.channelId === activeId) return;
    if (window.location.hash !== (activeId ? channelHash(activeId) : ''))
      history.replaceState(null, '', addressOf(activeId));
  }, [activeId, loaded, settings, admin]);

  // The count in the tab title and on the favicon, so a background tab still says something
  // happened; both go back to plain as things are read (and when this login ends).
  const unread = attentionCount(channels);
  const active = channels.find((c) => c.id === activeId);
  const where = settings ? 'Settings' : admin ? 'Admin console' : active ? titleOf(active) : null;
  useEffect(() => {
    document.title = tabTitle(unread, where);
    favicon.set(unread);
  }, [unread, where]);
  useEffect(
    () => () => {
      document.title = 'Chat';
      favicon.clear();
    },
    [],
  );

  useEffect(() => {
    if (!navOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && isPhone()) setNavOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navOpen]);

  return (
    <div
      className={`shell${navOpen ? ' nav-open' : ''}${
        !settings && !admin && ((membersOpen && active) || threadOpen || threadsOpen) ? ' members-open' : ''
      }`}
    >
      <Sidebar
        onOpen={open}
        onDialog={setDialog}
        onClose={() => setNavOpen(false)}
        onThreads={() => {
          setThreadsOpen(true);
          setNavOpen(false);
          void store.loadThreads();
        }}
      />
      <div className="scrim" aria-hidden="true" onClick={() => setNavOpen(false)} />
      {settings ? (
        <Settings onShowNav={() => setNavOpen(true)} />
      ) : admin ? (
        <AdminConsole onShowNav={() => setNavOpen(true)} />
      ) : (
        <Conversation
          channel={active ?? null}
          onShowNav={() => setNavOpen(true)}
          membersOpen={membersOpen}
          onToggleMembers={() => setMembersOpen((v) => !v)}
          onDialog={setDialog}
          focus={focus}
        />
      )}
      {settings || admin ? null : threadsOpen ? (
        <ThreadsList onOpen={open} onClose={() => setThreadsOpen(false)} />
      ) : active && threadOpen ? (
        <ThreadPanel channel={active} />
      ) : (
        active && membersOpen && <MembersPanel channel={active} onClose={() => setMembersOpen(false)} />
      )}
      {dialog === 'search' && <SearchDialog channel={active ?? null} onClose={() => setDialog(null)} />}
      {dialog === 'create' && <CreateChannelDialog onClose={() => setDialog(null)} />}
      {dialog === 'browse' && <BrowseChannelsDialog onClose={() => setDialog(null)} onOpen={open} />}
      {dialog === 'dm' && <NewDmDialog onClose={() => setDialog(null)} />}
      <Toasts />
    </div>
  );
}
