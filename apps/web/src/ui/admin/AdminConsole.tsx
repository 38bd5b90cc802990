import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { MenuIcon } from '../icons';
import { useChat } from '../runtime';
import { adminTabHash, consoleTabs, parseAdminRoute, TAB_LABELS, type ConsoleTab } from './admin-logic';
import { AuditTab } from './AuditTab';
import { ChannelsTab } from './ChannelsTab';
import { IntegrationsTab } from './IntegrationsTab';
import { SignInTab } from './SignInTab';
import { UsersTab } from './UsersTab';

const PANELS: Record<ConsoleTab, () => React.JSX.Element> = {
  users: UsersTab,
  channels: ChannelsTab,
  integrations: IntegrationsTab,
  audit: AuditTab,
  'sign-in': SignInTab,
};

/**
 * `#/admin` (`#/admin/<tab>`), in place of the conversation: the tabs the caller's roles open.
 * Anyone else gets a plain refusal and nothing is asked of the server.
 */
export function AdminConsole({ onShowNav }: { onShowNav: () => void }) {
  const roles = useChat((s) => s.me.roles);
  const tabs = consoleTabs(roles);
  const [asked, setAsked] = useState<ConsoleTab | null>(
    () => parseAdminRoute(window.location.hash)?.tab ?? null,
  );
  const tabRefs = useRef(new Map<ConsoleTab, HTMLButtonElement>());

  useEffect(() => {
    const onHash = () => {
      const route = parseAdminRoute(window.location.hash);
      if (route?.tab) setAsked(route.tab);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // A tab the caller may not open (a moderator's link to the audit log) falls back to the first.
  const current = asked && tabs.includes(asked) ? asked : tabs[0];

  const choose = (tab: ConsoleTab, focus = false) => {
    setAsked(tab);
    // The open tab is in the address, so a reload or a shared link opens it again.
    history.replaceState(null, '', adminTabHash(tab));
    if (focus) tabRefs.current.get(tab)?.focus();
  };

  const onKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(current);
    const to =
      e.key === 'ArrowRight'
        ? tabs[(i + 1) % tabs.length]
        : e.key === 'ArrowLeft'
          ? tabs[(i - 1 + tabs.length) % tabs.length]
          : e.key === 'Home'
            ? tabs[0]
            : e.key === 'End'
              ? tabs[tabs.length - 1]
              : null;
    if (!to) return;
    e.preventDefault();
    choose(to, true);
  };

  const Panel = current ? PANELS[current] : null;
  return (
    <main className="conversation admin" aria-label="Admin console">
      <header className="conv-head">
        <button
          type="button"
          className="icon-btn only-phone"
          aria-label="Open channel list"
          onClick={onShowNav}
        >
          <MenuIcon />
        </button>
        <div className="conv-title">
          <h1>Admin console</h1>
        </div>
      </header>
      {!current || !Panel ? (
        <div className="admin-body">
          <p className="admin-denied" role="alert">
            You don't have access to the admin console.
          </p>
        </div>
      ) : (
        <div className="admin-body">
          <div className="admin-tabs" role="tablist" aria-label="Admin console sections" onKeyDown={onKey}>
            {tabs.map((t) => (
              <button
                key={t}
                ref={(el) => {
                  if (el) tabRefs.current.set(t, el);
                  else tabRefs.current.delete(t);
                }}
                type="button"
                role="tab"
                id={`admin-tab-${t}`}
                aria-selected={t === current}
                aria-controls="admin-panel"
                tabIndex={t === current ? 0 : -1}
                onClick={() => choose(t)}
              >
                {TAB_LABELS[t]}
              </button>
            ))}
          </div>
          <section id="admin-panel" role="tabpanel" aria-labelledby={`admin-tab-${current}`} tabIndex={0}>
            <Panel key={current} />
          </section>
        </div>
      )}
    </main>
  );
}
