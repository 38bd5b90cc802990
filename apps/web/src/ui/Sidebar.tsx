import type { Channel } from '@chat/contracts';
import type { ConnectionState } from '../state/ports';
import { dmPartner, isOnline, isStaff } from '../state/selectors';
import type { DialogName } from './dialogs';
import { BellOffIcon, GearIcon, LockIcon, PlusIcon, SearchIcon, ThreadIcon } from './icons';
import { SETTINGS_HASH } from '../util/permalink';
import { ADMIN_HASH } from './admin/admin-logic';
import { useChat, useRuntime } from './runtime';

const byName = (a: Channel, b: Channel) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });

export const CONNECTION_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function Sidebar({
  onOpen,
  onDialog,
  onClose,
  onThreads,
}: {
  onOpen: (id: string) => void;
  onDialog: (d: DialogName) => void;
  onClose: () => void;
  onThreads: () => void;
}) {
  const unreadThreads = useChat((s) => s.unreadThreads);
  const { signOut } = useRuntime();
  const channels = useChat((s) => s.channels);
  const activeId = useChat((s) => s.activeId);
  const me = useChat((s) => s.me);
  const staff = isStaff(me);
  const connection = useChat((s) => s.connection);
  const channelsLoaded = useChat((s) => s.channelsLoaded);
  const rooms = channels.filter((c) => c.kind !== 'dm').sort(byName);
  const dms = channels.filter((c) => c.kind === 'dm').sort(byName);

  return (
    <aside className="sidebar" aria-label="Channels and direct messages">
      <header className="sidebar-head">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Chat</span>
        </div>
        <button type="button" className="icon-btn only-phone" aria-label="Close menu" onClick={onClose}>
          ✕
        </button>
      </header>
      <nav className="sidebar-nav">
        <ul className="side-list side-top">
          <li>
            <button
              type="button"
              className={`side-item${unreadThreads ? ' unread' : ''}`}
              aria-label={`Threads${unreadThreads ? `, ${unreadThreads} with new replies` : ''}`}
              onClick={onThreads}
            >
              <span className="side-icon" aria-hidden="true">
                <ThreadIcon />
              </span>
              <span className="side-name">Threads</span>
              {unreadThreads > 0 && (
                <span className="badge" aria-hidden="true">
                  {unreadThreads}
                </span>
              )}
            </button>
          </li>
          {staff && (
            <li>
              <a href={ADMIN_HASH} className="side-item" onClick={onClose}>
                <span className="side-icon" aria-hidden="true">
                  <GearIcon />
                </span>
                <span className="side-name">Admin console</span>
              </a>
            </li>
          )}
        </ul>
        <section aria-labelledby="side-channels">
          <div className="side-section-head">
            <h2 id="side-channels">Channels</h2>
            <button
              type="button"
              className="icon-btn"
              aria-label="Browse channels"
              title="Browse channels"
              onClick={() => onDialog('browse')}
            >
              <SearchIcon />
            </button>
            <button
              type="button"
              className="icon-btn"
              aria-label="Create a channel"
              title="Create a channel"
              onClick={() => onDialog('create')}
            >
              <PlusIcon />
            </button>
          </div>
          <ul className="side-list">
            {rooms.map((c) => (
              <ChannelLink key={c.id} c={c} active={c.id === activeId} onOpen={onOpen} />
            ))}
            {channelsLoaded && rooms.length === 0 && (
              <li className="side-empty">
                <button type="button" className="link-btn" onClick={() => onDialog('browse')}>
                  Browse channels
                </button>{' '}
                or{' '}
                <button type="button" className="link-btn" onClick={() => onDialog('create')}>
                  create one
                </button>
              </li>
            )}
          </ul>
        </section>
        <section aria-labelledby="side-dms">
          <div className="side-section-head">
            <h2 id="side-dms">Direct messages</h2>
            <button
              type="button"
              className="icon-btn"
              aria-label="New direct message"
              title="New direct message"
              onClick={() => onDialog('dm')}
            >
              <PlusIcon />
            </button>
          </div>
          <ul className="side-list">
            {dms.map((c) => (
              <ChannelLink key={c.id} c={c} active={c.id === activeId} onOpen={onOpen} />
            ))}
            {channelsLoaded && dms.length === 0 && <li className="side-empty">No conversations yet.</li>}
          </ul>
        </section>
      </nav>
      <footer className="sidebar-foot">
        <div className="me">
          <span className={`avatar-dot ${connection === 'live' ? 'on' : 'off'}`} aria-hidden="true" />
          <div className="me-text">
            <strong>{me.username}</strong>
            <span
              className={`conn conn-${connection}`}
              role="status"
              aria-label={`Connection: ${CONNECTION_LABEL[connection]}`}
            >
              {CONNECTION_LABEL[connection]}
            </span>
          </div>
        </div>
        <a href={SETTINGS_HASH} className="icon-btn" aria-label="Settings" title="Settings" onClick={onClose}>
          <GearIcon />
        </a>
        <button type="button" className="ghost small" onClick={signOut}>
          Sign out
        </button>
      </footer>
    </aside>
  );
}

function ChannelLink({ c, active, onOpen }: { c: Channel; active: boolean; onOpen: (id: string) => void }) {
  // A DM's dot follows its partner's presence: only this link re-renders when it changes.
  const partner = useChat((s) => (c.kind === 'dm' ? dmPartner(s, c.id) : undefined));
  const online = useChat((s) => (partner ? isOnline(s, partner.userId, partner.online) : false));
  const unread = c.unreadCount > 0 && !active ? c.unreadCount : 0;
  const mentions = (c.mentionCount ?? 0) > 0 && !active ? c.mentionCount : 0;
  const label = `${c.kind === 'dm' ? c.name : `${c.name} channel`}${c.kind === 'private' ? ', private' : ''}${
    c.kind === 'dm' && partner ? (online ? ', online' : ', offline') : ''
  }${c.muted ? ', muted' : ''}${unread ? `, ${unread} unread` : ''}${
    mentions ? `, ${mentions} mention${mentions === 1 ? '' : 's'}` : ''
  }`;
  return (
    <li>
      <a
        href={`#/c/${c.id}`}
        className={`side-item${active ? ' active' : ''}${unread ? ' unread' : ''}${c.muted ? ' muted' : ''}`}
        aria-current={active ? 'page' : undefined}
        aria-label={label}
        onClick={(e) => {
          e.preventDefault();
          onOpen(c.id);
        }}
      >
        <span className="side-icon" aria-hidden="true">
          {c.kind === 'dm' ? (
            <span className={`presence ${online ? 'on' : 'off'}`} />
          ) : c.kind === 'private' ? (
            <LockIcon />
          ) : (
            '#'
          )}
        </span>
        <span className="side-name">{c.name}</span>
        {c.muted && (
          <span className="side-muted" aria-hidden="true" title="Muted">
            <BellOffIcon />
          </span>
        )}
        {mentions > 0 && (
          <span className="badge mention-badge" aria-hidden="true">
            @{mentions > 99 ? '99+' : mentions}
          </span>
        )}
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </a>
    </li>
  );
}
