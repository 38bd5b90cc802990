import { useEffect, useState } from 'react';
import type { User, WebhookOverview } from '@chat/contracts';
import { describeError } from '../../api/errors';
import { formatFull } from '../../util/format';
import { AdminTable, ErrorLine, PageFooter, useAdminApi, usePaged } from './common';

const PAGE = 50;

/**
 * Integrations (admin): every bot account and every webhook of every channel, read only — bots are
 * created and revoked with the API, webhooks from their channel's header.
 */
export function IntegrationsTab() {
  return (
    <div className="admin-tab">
      <Bots />
      <Webhooks />
    </div>
  );
}

function Bots() {
  const api = useAdminApi();
  const [bots, setBots] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.bots().then(
      (list) => live && setBots(list),
      (err: unknown) => live && setError(`Could not load the bots: ${describeError(err)}`),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return (
    <section className="admin-section" aria-labelledby="admin-bots">
      <h2 id="admin-bots">Bots</h2>
      <ErrorLine text={error} />
      {!bots && !error && <p className="muted">Loading bots…</p>}
      {bots && bots.length === 0 && <p className="muted">No bot accounts.</p>}
      {bots && bots.length > 0 && (
        <AdminTable label="Bots" columns={['Username', 'Created']}>
          {bots.map((b) => (
            <tr key={b.id}>
              <th scope="row">{b.username}</th>
              <td>
                <time dateTime={b.createdAt}>{formatFull(b.createdAt)}</time>
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </section>
  );
}

function Webhooks() {
  const api = useAdminApi();
  const list = usePaged<WebhookOverview>('hooks', async (after) => {
    const page = await api.webhooks({ after, limit: PAGE });
    return { items: page.webhooks, hasMore: page.hasMore };
  });
  return (
    <section className="admin-section" aria-labelledby="admin-hooks">
      <h2 id="admin-hooks">Webhooks</h2>
      <AdminTable
        label="Webhooks"
        columns={['Name', 'Channel', 'Kind', 'Created by', 'Created']}
        busy={list.state.loading}
      >
        {list.state.items.map((h) => (
          <tr key={h.id}>
            <th scope="row">{h.name}</th>
            <td>#{h.channelName}</td>
            <td>
              {h.kind === 'incoming' ? 'Incoming' : 'Outgoing'}
              {h.kind === 'outgoing' && h.targetUrl && (
                <span className="admin-sub muted small-text">to {h.targetUrl}</span>
              )}
            </td>
            <td>
              {/* By username; by id only when the account is gone. */}
              {h.createdByUsername ?? <code title={h.createdBy}>{h.createdBy.slice(0, 8)}</code>}
            </td>
            <td>
              <time dateTime={h.createdAt}>{formatFull(h.createdAt)}</time>
            </td>
          </tr>
        ))}
      </AdminTable>
      <PageFooter state={list.state} noun="webhooks" onMore={list.loadMore} />
    </section>
  );
}
