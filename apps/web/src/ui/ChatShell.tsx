import { useCallback, useEffect, useRef, useState } from 'react';
import { totalUnread } from '../state/unread';
import { Conversation } from './Conversation';
import { titleOf } from '../util/format';
import { BrowseChannelsDialog, CreateChannelDialog, NewDmDialog, type DialogName } from './dialogs';
import { MembersPanel } from './MembersPanel';
import { useChat, useRuntime } from './runtime';
import { Sidebar } from './Sidebar';
import { Toasts } from './Toasts';

const channelFromHash = (): string | null => /^#\/c\/([\w-]+)$/.exec(window.location.hash)?.[1] ?? null;
const isPhone = () => window.matchMedia('(max-width: 760px)').matches;

/** The signed-in layout: sidebar, conversation, members; the URL hash names the open channel. */
export function ChatShell() {
  const { store } = useRuntime();
  const channels = useChat((s) => s.channels);
  const loaded = useChat((s) => s.channelsLoaded);
  const activeId = useChat((s) => s.activeId);
  const [navOpen, setNavOpen] = useState(false);
  const [membersOpen, setMembersOpen] = useState(() => !isPhone());
  const [dialog, setDialog] = useState<DialogName>(null);

  const open = useCallback(
    (id: string | null) => {
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
      void store.select(want);
      return;
    }
    if (autoOpened.current) return;
    autoOpened.current = true;
    if (isPhone() || !channels.length) setNavOpen(true);
    else void store.select(channels.filter((c) => c.kind !== 'dm')[0]?.id ?? channels[0].id);
  }, [loaded, activeId, channels, store]);

  useEffect(() => {
    const onHash = () => {
      const id = channelFromHash();
      if (id && id !== store.getState().activeId) void store.select(id);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [store]);

  useEffect(() => {
    // Until the list is in, the hash is what we were asked to open: leave it.
    if (!loaded) return;
    if (activeId) named.current = activeId;
    const want = activeId ? `#/c/${activeId}` : '';
    if (window.location.hash !== want) {
      history.replaceState(null, '', want || window.location.pathname + window.location.search);
    }
  }, [activeId, loaded]);

  // Unread total in the tab title, so a background tab still says something happened.
  const unread = totalUnread(channels);
  const active = channels.find((c) => c.id === activeId);
  useEffect(() => {
    const where = active ? titleOf(active) : 'Chat';
    document.title = unread ? `(${unread}) ${where} · Chat` : `${where} · Chat`;
  }, [unread, active]);

  useEffect(() => {
    if (!navOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && isPhone()) setNavOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navOpen]);

  return (
    <div className={`shell${navOpen ? ' nav-open' : ''}${membersOpen && active ? ' members-open' : ''}`}>
      <Sidebar onOpen={open} onDialog={setDialog} onClose={() => setNavOpen(false)} />
      <div className="scrim" aria-hidden="true" onClick={() => setNavOpen(false)} />
      <Conversation
        channel={active ?? null}
        onShowNav={() => setNavOpen(true)}
        membersOpen={membersOpen}
        onToggleMembers={() => setMembersOpen((v) => !v)}
        onDialog={setDialog}
      />
      {active && membersOpen && <MembersPanel channel={active} onClose={() => setMembersOpen(false)} />}
      {dialog === 'create' && <CreateChannelDialog onClose={() => setDialog(null)} />}
      {dialog === 'browse' && <BrowseChannelsDialog onClose={() => setDialog(null)} onOpen={open} />}
      {dialog === 'dm' && <NewDmDialog onClose={() => setDialog(null)} />}
      <Toasts />
    </div>
  );
}
