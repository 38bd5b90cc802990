import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Channel, DirectoryChannel, Member } from '@chat/contracts';
import { describeError } from '../../api/errors';
import { formatFull } from '../../util/format';
import { Dialog } from '../dialogs';
import { relativeTime } from './admin-logic';
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

type ArchivedFilter = 'active' | 'archived' | 'all';

/** The server's Channel after an action, onto the directory row (owner and counts it does not carry). */
function merge(row: DirectoryChannel, c: Channel): DirectoryChannel {
  return {
    ...row,
    name: c.name,
    topic: c.topic,
    memberCount: c.memberCount,
    archivedAt: c.archivedAt,
  };
}

/** Channels: every public and private channel, whoever is in it; archive them and hand them over. */
export function ChannelsTab() {
  const api = useAdminApi();
  const [query, setQuery] = useState('');
  const [archived, setArchived] = useState<ArchivedFilter>('active');
  const q = useDebounced(query.trim());
  const list = usePaged<DirectoryChannel>(JSON.stringify([q, archived]), async (after) => {
    const page = await api.directory({
      after,
      limit: PAGE,
      q,
      archived: archived === 'all' ? undefined : archived === 'archived',
    });
    return { items: page.channels, hasMore: page.hasMore };
  });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [owning, setOwning] = useState<DirectoryChannel | null>(null);
  const ids = { q: useId(), archived: useId() };

  const toggleArchive = async (c: DirectoryChannel) => {
    setBusy(c.id);
    setError(null);
    try {
      const answer = c.archivedAt ? await api.unarchive(c.id) : await api.archive(c.id);
      list.replace(merge(c, answer));
    } catch (err) {
      setError(`Could not ${c.archivedAt ? 'unarchive' : 'archive'} #${c.name}: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="admin-tab">
      <form className="admin-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <SearchField
          id={ids.q}
          label="Search channels"
          placeholder="Channel name"
          value={query}
          onChange={setQuery}
        />
        <div className="field">
          <label htmlFor={ids.archived}>Show</label>
          <select
            id={ids.archived}
            value={archived}
            onChange={(e) => setArchived(e.target.value as ArchivedFilter)}
          >
            <option value="active">Active channels</option>
            <option value="archived">Archived channels</option>
            <option value="all">All channels</option>
          </select>
        </div>
      </form>
      <ErrorLine text={error} />
      <AdminTable
        label="Channels"
        columns={['Channel', 'Owner', 'Members', 'Messages', 'Created', 'Status', 'Actions']}
        busy={list.state.loading}
      >
        {list.state.items.map((c) => (
          <tr key={c.id} data-archived={c.archivedAt ? 'true' : 'false'}>
            <th scope="row">
              #{c.name}
              {c.kind === 'private' && <span className="muted small-text"> (private)</span>}
              {c.topic && <span className="admin-sub muted small-text">{c.topic}</span>}
            </th>
            <td>{c.owner ? c.owner.username : <span className="muted">none</span>}</td>
            <td>{c.memberCount}</td>
            <td>{c.lastSeq}</td>
            <td>
              <When iso={c.createdAt} text={relativeTime(c.createdAt)} />
            </td>
            <td>
              {c.archivedAt ? (
                <span className="status-pill status-archived" title={formatFull(c.archivedAt)}>
                  Archived
                </span>
              ) : (
                <span className="status-pill status-active">Active</span>
              )}
            </td>
            <td>
              <div className="row-actions" role="group" aria-label={`Actions for #${c.name}`}>
                <button
                  type="button"
                  className={c.archivedAt ? 'secondary small' : 'danger small'}
                  disabled={busy === c.id}
                  aria-label={`${c.archivedAt ? 'Unarchive' : 'Archive'} #${c.name}`}
                  onClick={() => void toggleArchive(c)}
                >
                  {c.archivedAt ? 'Unarchive' : 'Archive'}
                </button>
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Change owner of #${c.name}`}
                  onClick={() => setOwning(c)}
                >
                  Owner…
                </button>
              </div>
            </td>
          </tr>
        ))}
      </AdminTable>
      <PageFooter state={list.state} noun="channels" onMore={list.loadMore} />
      {owning && (
        <OwnerDialog
          channel={owning}
          onClose={() => setOwning(null)}
          onDone={(row) => {
            list.replace(row);
            setOwning(null);
          }}
        />
      )}
    </div>
  );
}

/** Picks the new owner among the channel's members (the server requires a member). */
function OwnerDialog({
  channel,
  onClose,
  onDone,
}: {
  channel: DirectoryChannel;
  onClose: () => void;
  onDone: (row: DirectoryChannel) => void;
}) {
  const api = useAdminApi();
  const [members, setMembers] = useState<Member[] | null>(null);
  const [pick, setPick] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    let live = true;
    api.members(channel.id).then(
      (list) => {
        if (!live) return;
        const people = list.filter((m) => !m.bot);
        setMembers(people);
        setPick(people.find((m) => m.userId !== channel.owner?.id)?.userId ?? '');
      },
      (err: unknown) => live && setError(`Could not load the members: ${describeError(err)}`),
    );
    return () => {
      live = false;
    };
  }, [api, channel.id, channel.owner?.id]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!pick) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.setOwner(channel.id, pick);
      const owner = members?.find((m) => m.userId === pick);
      onDone({
        ...merge(channel, answer),
        owner: owner ? { id: owner.userId, username: owner.username } : null,
      });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Owner of #${channel.name}`} onClose={onClose}>
      <form className="dialog-body" onSubmit={(e) => void submit(e)}>
        <p className="muted small-text">
          Now: {channel.owner ? channel.owner.username : 'nobody'}. The owner manages the channel’s members,
          topic and integrations.
        </p>
        {members && members.length > 0 && (
          <div className="field">
            <label htmlFor={id}>New owner</label>
            <select id={id} value={pick} autoFocus onChange={(e) => setPick(e.target.value)}>
              {members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.username}
                  {m.userId === channel.owner?.id ? ' (owner)' : ''}
                </option>
              ))}
            </select>
          </div>
        )}
        {members && members.length === 0 && (
          <p className="muted">This channel has no members to hand it to.</p>
        )}
        {!members && !error && <p className="muted">Loading members…</p>}
        <ErrorLine text={error} />
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !pick || pick === channel.owner?.id}>
            {busy ? 'Saving…' : 'Make owner'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
