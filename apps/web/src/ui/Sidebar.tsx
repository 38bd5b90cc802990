import type { Channel } from '@chat/contracts';
import { dmPartner, isOnline, type ChatState } from '../state/store';
import type { ConnectionState } from '../state/ports';
import type { DialogName } from './ChatShell';
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
}: {
  onOpen: (id: string) => void;
  onDialog: (d: DialogName) => void;
  onClose: () => void;
}) {
  const { signOut } = useRuntime();
  const state = useChat((s) => s);
  const { channels, activeId, me, connection, channelsLoaded } = state;
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
              <ChannelLink key={c.id} c={c} active={c.id === activeId} onOpen={onOpen} state={state} />
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
              <ChannelLink key={c.id} c={c} active={c.id === activeId} onOpen={onOpen} state={state} />
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
        <button type="button" className="ghost small" onClick={signOut}>
          Sign out
        </button>
      </footer>
    </aside>
  );
}

function ChannelLink({
  c,
  active,
  onOpen,
  state,
}: {
  c: Channel;
  active: boolean;
  onOpen: (id: string) => void;
  state: ChatState;
}) {
  const partner = c.kind === 'dm' ? dmPartner(state, c.id) : undefined;
  const online = partner ? isOnline(state, partner.userId, partner.online) : false;
  const unread = c.unreadCount > 0 && !active ? c.unreadCount : 0;
  const label = `${c.kind === 'dm' ? c.name : `${c.name} channel`}${c.kind === 'private' ? ', private' : ''}${
    c.kind === 'dm' && partner ? (online ? ', online' : ', offline') : ''
  }${unread ? `, ${unread} unread` : ''}`;
  return (
    <li>
      <a
        href={`#/c/${c.id}`}
        className={`side-item${active ? ' active' : ''}${unread ? ' unread' : ''}`}
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
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </a>
    </li>
  );
}

export const PlusIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <path d="M10 4v12M4 10h12" stroke="currentColor" strokeWidth="2" strokeLinecap="round" fill="none" />
  </svg>
);
export const SearchIcon = () => (
  <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
    <circle cx="9" cy="9" r="5.5" stroke="currentColor" strokeWidth="2" fill="none" />
    <path d="M13 13l4 4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
  </svg>
);
export const LockIcon = () => (
  <svg viewBox="0 0 20 20" width="13" height="13" aria-hidden="true">
    <rect x="4" y="9" width="12" height="8" rx="2" fill="currentColor" />
    <path d="M7 9V7a3 3 0 0 1 6 0v2" stroke="currentColor" strokeWidth="2" fill="none" />
  </svg>
);
