import { useId, useState, type FormEvent } from 'react';
import { ROLES, type AccountStatus, type AdminUser, type Role } from '@chat/contracts';
import { describeError } from '../../api/errors';
import { BotBadge } from '../BotBadge';
import { Dialog } from '../dialogs';
import { useChat } from '../runtime';
import { canAdminister, canBan, formatRoles, relativeTime, STATUS_LABELS } from './admin-logic';
import {
  AdminTable,
  ErrorLine,
  PageFooter,
  SearchField,
  When,
  useAdminApi,
  useDebounced,
  usePaged,
} from './common';

const PAGE = 50;

type Pending =
  | { kind: 'roles'; user: AdminUser }
  | { kind: 'ban'; user: AdminUser }
  | { kind: 'deactivate'; user: AdminUser }
  | { kind: 'totp'; user: AdminUser };

/** Users: find people, see how they sign in, and act on their accounts as the caller's role allows. */
export function UsersTab() {
  const api = useAdminApi();
  const me = useChat((s) => s.me);
  const isAdmin = me.roles.includes('admin');
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<AccountStatus | ''>('');
  const [role, setRole] = useState<Role | ''>('');
  const q = useDebounced(query.trim());
  const list = usePaged<AdminUser>(JSON.stringify([q, status, role]), async (after) => {
    const page = await api.users({
      after,
      limit: PAGE,
      q,
      status: status || undefined,
      role: role || undefined,
    });
    return { items: page.users, hasMore: page.hasMore };
  });
  const [pending, setPending] = useState<Pending | null>(null);
  /** Unbanning happens at once (nothing to lose); its errors show above the table. */
  const [rowError, setRowError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const ids = { q: useId(), status: useId(), role: useId() };

  const unban = async (u: AdminUser) => {
    setBusy(u.id);
    setRowError(null);
    try {
      await api.unban(u.id);
      list.replace({ ...u, status: 'active' });
    } catch (err) {
      setRowError(`Could not unban ${u.username}: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="admin-tab">
      <form className="admin-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SearchField
          id={ids.q}
          label="Search users"
          placeholder="Username"
          value={query}
          onChange={setQuery}
        />
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            value={status}
            onChange={(e) => setStatus(e.target.value as AccountStatus | '')}
          >
            <option value="">Any status</option>
            {(Object.keys(STATUS_LABELS) as AccountStatus[]).map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
            <option value="">Any role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorLine text={rowError} />
      <AdminTable
        label="Users"
        columns={['Username', 'Roles', 'Status', 'Last seen', 'Bot', '2FA', 'SSO', 'Actions']}
        busy={list.state.loading}
      >
        {list.state.items.map((u) => (
          <tr key={u.id} data-status={u.status}>
            <th scope="row">
              {u.username}
              {u.id === me.id && <span className="muted small-text"> (you)</span>}
            </th>
            <td>{formatRoles(u.roles)}</td>
            <td>
              <span className={`status-pill status-${u.status}`}>{STATUS_LABELS[u.status]}</span>
            </td>
            <td>
              <When iso={u.lastSeenAt} text={relativeTime(u.lastSeenAt)} />
            </td>
            <td>{u.bot ? <BotBadge /> : <span className="muted">—</span>}</td>
            <td>{u.totp ? 'On' : <span className="muted">Off</span>}</td>
            <td>{u.sso ? 'Yes' : <span className="muted">No</span>}</td>
            <td>
              <div className="row-actions" role="group" aria-label={`Actions for ${u.username}`}>
                {canAdminister(me, u) && (
                  <button
                    type="button"
                    className="ghost small"
                    aria-label={`Change roles of ${u.username}`}
                    onClick={() => setPending({ kind: 'roles', user: u })}
                  >
                    Roles
                  </button>
                )}
                {canBan(me, u) &&
                  (u.status === 'banned' ? (
                    <button
                      type="button"
                      className="secondary small"
                      disabled={busy === u.id}
                      aria-label={`Unban ${u.username}`}
                      onClick={() => void unban(u)}
                    >
                      Unban
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Ban ${u.username}`}
                      onClick={() => setPending({ kind: 'ban', user: u })}
                    >
                      Ban
                    </button>
                  ))}
                {canAdminister(me, u) && u.totp && (
                  <button
                    type="button"
                    className="ghost small"
                    aria-label={`Reset two-factor of ${u.username}`}
                    onClick={() => setPending({ kind: 'totp', user: u })}
                  >
                    Reset 2FA
                  </button>
                )}
                {isAdmin && canAdminister(me, u) && (
                  <button
                    type="button"
                    className="danger small"
                    aria-label={`Deactivate ${u.username}`}
                    onClick={() => setPending({ kind: 'deactivate', user: u })}
                  >
                    Deactivate
                  </button>
                )}
              </div>
            </td>
          </tr>
        ))}
      </AdminTable>
      <PageFooter state={list.state} noun="users" onMore={list.loadMore} />
      {pending?.kind === 'roles' && (
        <RolesDialog
          user={pending.user}
          onClose={() => setPending(null)}
          onDone={(u) => {
            list.replace(u);
            setPending(null);
          }}
        />
      )}
      {pending?.kind === 'ban' && (
        <ConfirmDialog
          title={`Ban ${pending.user.username}?`}
          action="Ban"
          onClose={() => setPending(null)}
          run={async () => {
            await api.ban(pending.user.id);
            list.replace({ ...pending.user, status: 'banned' });
            setPending(null);
          }}
        >
          <p>
            {pending.user.username} is signed out everywhere within seconds and cannot sign in until unbanned.
            Their messages stay.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'totp' && (
        <ConfirmDialog
          title={`Reset two-factor of ${pending.user.username}?`}
          action="Reset two-factor"
          onClose={() => setPending(null)}
          run={async () => {
            await api.resetTotp(pending.user.id);
            list.replace({ ...pending.user, totp: false });
            setPending(null);
          }}
        >
          <p>
            For someone who lost their authenticator: they sign in with their password alone and can set up
            two-factor again. Make sure it is really them asking.
          </p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'deactivate' && (
        <ConfirmDialog
          title={`Deactivate ${pending.user.username}?`}
          action="Deactivate account"
          confirmText={pending.user.username}
          onClose={() => setPending(null)}
          run={async () => {
            await api.deactivate(pending.user.id);
            list.replace({ ...pending.user, status: 'deactivated', totp: false });
            setPending(null);
          }}
        >
          <p>
            This erases the account: its profile is removed, every session ends, and its messages stay as
            “deleted user”. It cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/**
 * A confirmation in a modal; `confirmText`, when given, must be typed before the action is
 * offered (for what cannot be undone). The server's refusal is shown in the dialog.
 */
export function ConfirmDialog({
  title,
  action,
  confirmText,
  onClose,
  run,
  children,
}: {
  title: string;
  action: string;
  confirmText?: string;
  onClose: () => void;
  run: () => Promise<void>;
  children: React.ReactNode;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { typed: useId(), err: useId() };
  const ready = confirmText === undefined || typed.trim() === confirmText;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return setError(`Type ${confirmText} to confirm.`);
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form className="dialog-body" onSubmit={(e) => void submit(e)}>
        {children}
        {confirmText !== undefined && (
          <div className="field">
            <label htmlFor={ids.typed}>
              Type <strong>{confirmText}</strong> to confirm
            </label>
            <input
              id={ids.typed}
              value={typed}
              autoComplete="off"
              spellCheck={false}
              autoFocus
              onChange={(e) => setTyped(e.target.value)}
              aria-invalid={!!error}
              aria-describedby={error ? ids.err : undefined}
            />
          </div>
        )}
        {error && (
          <p className="form-error" role="alert" id={ids.err}>
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onClose} autoFocus={confirmText === undefined}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || !ready}>
            {busy ? 'Working…' : action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Admin and moderator on top of membership (everyone keeps `member`). */
function RolesDialog({
  user,
  onClose,
  onDone,
}: {
  user: AdminUser;
  onClose: () => void;
  onDone: (u: AdminUser) => void;
}) {
  const api = useAdminApi();
  const [admin, setAdmin] = useState(user.roles.includes('admin'));
  const [moderator, setModerator] = useState(user.roles.includes('moderator'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const roles: Role[] = [
      ...(admin ? (['admin'] as const) : []),
      ...(moderator ? (['moderator'] as const) : []),
      'member',
    ];
    setBusy(true);
    setError(null);
    try {
      const saved = await api.setRoles(user.id, roles);
      onDone({ ...user, ...saved });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Roles of ${user.username}`} onClose={onClose}>
      <form className="dialog-body" onSubmit={(e) => void submit(e)}>
        <fieldset className="field">
          <legend>Roles</legend>
          <label className="check">
            <input type="checkbox" checked={admin} autoFocus onChange={(e) => setAdmin(e.target.checked)} />
            <span>
              <strong>Admin</strong> — everything in this console, bots, sign-in settings
            </span>
          </label>
          <label className="check">
            <input type="checkbox" checked={moderator} onChange={(e) => setModerator(e.target.checked)} />
            <span>
              <strong>Moderator</strong> — bans members, manages channels and messages
            </span>
          </label>
          <label className="check">
            <input type="checkbox" checked disabled />
            <span>
              <strong>Member</strong> — everyone
            </span>
          </label>
        </fieldset>
        <p className="field-hint">
          The change applies to their next request; open sessions pick it up within minutes.
        </p>
        <ErrorLine text={error} />
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save roles'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
