import { useId, useState, type FormEvent } from 'react';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from '@chat/contracts';
import type { AdminApi, AuditQuery } from '../../api/admin-api';
import { describeError } from '../../api/errors';
import { formatFull } from '../../util/format';
import {
  auditAddress,
  auditLabel,
  auditRequestId,
  AUDIT_LABELS,
  dayRange,
  describeDetails,
  looksLikeId,
} from './admin-logic';
import { AdminTable, ErrorLine, PageFooter, useAdminApi, usePaged } from './common';

const PAGE = 50;

/** A username (or an id) typed in a filter, as the id the API filters by. */
async function userId(api: AdminApi, name: string): Promise<string | null> {
  if (looksLikeId(name)) return name;
  const page = await api.users({ q: name, limit: 20 });
  return page.users.find((u) => u.username.toLowerCase() === name.toLowerCase())?.id ?? null;
}

/** A target typed as a username, a channel name (`#general`) or an id. */
async function targetId(api: AdminApi, name: string): Promise<string | null> {
  if (looksLikeId(name)) return name;
  if (!name.startsWith('#')) {
    const user = await userId(api, name);
    if (user) return user;
  }
  const channel = name.replace(/^#/, '');
  const page = await api.directory({ q: channel, limit: 20 });
  return page.channels.find((c) => c.name.toLowerCase() === channel.toLowerCase())?.id ?? null;
}

interface Draft {
  action: AuditAction | '';
  actor: string;
  target: string;
  from: string;
  to: string;
}
const NO_FILTER: Draft = { action: '', actor: '', target: '', from: '', to: '' };

/** Audit log (admin): who did what to whom, newest first, filtered by action, people and dates. */
export function AuditTab() {
  const api = useAdminApi();
  const [draft, setDraft] = useState<Draft>(NO_FILTER);
  const [query, setQuery] = useState<AuditQuery>({});
  const [filterError, setFilterError] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const list = usePaged<AuditEvent>(JSON.stringify(query), async (after) => {
    const page = await api.audit({ ...query, after, limit: PAGE });
    return { items: page.events, hasMore: page.hasMore };
  });
  const ids = { action: useId(), actor: useId(), target: useId(), from: useId(), to: useId() };
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const apply = async (e?: FormEvent) => {
    e?.preventDefault();
    setFilterError(null);
    if (draft.from && draft.to && draft.from > draft.to) {
      return setFilterError('The start date is after the end date.');
    }
    setResolving(true);
    try {
      const actor = draft.actor.trim();
      const target = draft.target.trim();
      const actorId = actor ? await userId(api, actor) : undefined;
      if (actorId === null) return setFilterError(`Nobody is called “${actor}”.`);
      const tId = target ? await targetId(api, target) : undefined;
      if (tId === null) return setFilterError(`No user or channel is called “${target}”.`);
      setQuery({
        action: draft.action || undefined,
        actorId,
        targetId: tId,
        ...dayRange(draft.from, draft.to),
      });
    } catch (err) {
      setFilterError(describeError(err));
    } finally {
      setResolving(false);
    }
  };

  return (
    <div className="admin-tab">
      <form className="admin-filters" aria-label="Filter the audit log" onSubmit={(e) => void apply(e)}>
        <div className="field">
          <label htmlFor={ids.action}>Action</label>
          <select
            id={ids.action}
            value={draft.action}
            onChange={(e) => set({ action: e.target.value as AuditAction | '' })}
          >
            <option value="">Any action</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {AUDIT_LABELS[a]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.actor}>Actor</label>
          <input
            id={ids.actor}
            value={draft.actor}
            placeholder="Username"
            autoComplete="off"
            onChange={(e) => set({ actor: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.target}>Target</label>
          <input
            id={ids.target}
            value={draft.target}
            placeholder="Username or #channel"
            autoComplete="off"
            onChange={(e) => set({ target: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.from}>From</label>
          <input
            id={ids.from}
            type="date"
            value={draft.from}
            onChange={(e) => set({ from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="date" value={draft.to} onChange={(e) => set({ to: e.target.value })} />
        </div>
        <div className="admin-filter-buttons">
          <button type="submit" className="primary small" disabled={resolving}>
            Apply filters
          </button>
          <button
            type="button"
            className="ghost small"
            onClick={() => {
              setDraft(NO_FILTER);
              setFilterError(null);
              setQuery({});
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorLine text={filterError} />
      <AdminTable
        label="Audit log"
        columns={['Time', 'Actor', 'Action', 'Target', 'Details', 'Request id', 'Address']}
        busy={list.state.loading}
        className="audit-table"
      >
        {list.state.items.map((e) => (
          <tr key={e.id} data-action={e.action}>
            <td>
              <time dateTime={e.at}>{formatFull(e.at)}</time>
            </td>
            <td>
              {e.actor.username ?? <span className="muted">{e.actor.id ? 'deleted user' : 'system'}</span>}
            </td>
            <th scope="row">{auditLabel(e.action)}</th>
            <td>
              {e.target ? (
                <>
                  <span className="muted small-text">{e.target.type} </span>
                  {e.target.type === 'channel' && e.target.name
                    ? `#${e.target.name}`
                    : (e.target.name ?? e.target.id ?? '—')}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td className="audit-details">{describeDetails(e.details)}</td>
            <td>
              <code>{auditRequestId(e) ?? '—'}</code>
            </td>
            <td>{auditAddress(e) ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </AdminTable>
      <PageFooter state={list.state} noun="events" onMore={list.loadMore} />
    </div>
  );
}
