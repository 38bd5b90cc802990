import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { Channel, Webhook, WebhookCreated, WebhookDelivery } from '@chat/contracts';
import { WEBHOOK_EVENTS as WEBHOOK_EVENT_NAMES, type WebhookEventName } from '@chat/contracts';
import { ApiError, describeError } from '../api/errors';
import { canModerate } from '../state/selectors';
import { formatFull, titleOf } from '../util/format';
import { Dialog } from './dialogs';
import { useChat, useRuntime } from './runtime';

/** The server's limit on a webhook's name (CreateWebhookDto). */
const NAME_MAX = 64;

/**
 * "Integrations" in the channel header, for those who may manage its webhooks (its owner,
 * moderators and admins; the server checks again). Not in DMs, which have no webhooks.
 */
export function IntegrationsButton({ channel }: { channel: Channel }) {
  const allowed = useChat((s) => channel.kind !== 'dm' && canModerate(s, channel.id));
  const [open, setOpen] = useState(false);
  if (!allowed) return null;
  return (
    <>
      <button
        type="button"
        className="ghost small"
        aria-haspopup="dialog"
        title="Webhooks of this channel"
        onClick={() => setOpen(true)}
      >
        Integrations
      </button>
      {open && <IntegrationsDialog channel={channel} onClose={() => setOpen(false)} />}
    </>
  );
}

type View =
  | { kind: 'list' }
  | { kind: 'new-incoming' }
  | { kind: 'new-outgoing' }
  | { kind: 'created'; hook: WebhookCreated }
  | { kind: 'deliveries'; hook: Webhook };

/** A server refusal in words, for the forms of this panel. */
function refusal(action: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'CONFLICT') return `${action}: ${sentence(err.message)}`;
    if (err.code === 'FORBIDDEN')
      return `${action}: only the channel's owner, moderators and admins manage its integrations.`;
    if (err.code === 'VALIDATION') return `${action}: ${sentence(err.message)}`;
  }
  return `${action}: ${describeError(err)}`;
}

/** The server words field errors by field name ("url must …"): make them read as a sentence. */
const sentence = (s: string) => {
  const t = s
    .trim()
    .replace(/^url\b/, 'The URL')
    .replace(/^name\b/, 'The name');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
};

function IntegrationsDialog({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const [view, setView] = useState<View>({ kind: 'list' });
  const title =
    view.kind === 'new-incoming'
      ? 'New incoming webhook'
      : view.kind === 'new-outgoing'
        ? 'New outgoing webhook'
        : view.kind === 'created'
          ? 'Webhook created'
          : view.kind === 'deliveries'
            ? `Deliveries of “${view.hook.name}”`
            : `Integrations of ${titleOf(channel)}`;
  const back = () => setView({ kind: 'list' });
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="dialog-body integrations">
        {view.kind === 'list' && <WebhookList channel={channel} onView={setView} />}
        {view.kind === 'new-incoming' && (
          <NewWebhookForm
            channel={channel}
            outgoing={false}
            onCancel={back}
            onCreated={(hook) => setView({ kind: 'created', hook })}
          />
        )}
        {view.kind === 'new-outgoing' && (
          <NewWebhookForm
            channel={channel}
            outgoing
            onCancel={back}
            onCreated={(hook) => setView({ kind: 'created', hook })}
          />
        )}
        {view.kind === 'created' && <Created channel={channel} hook={view.hook} onDone={back} />}
        {view.kind === 'deliveries' && <Deliveries channel={channel} hook={view.hook} onBack={back} />}
      </div>
    </Dialog>
  );
}

function WebhookList({ channel, onView }: { channel: Channel; onView: (v: View) => void }) {
  const { api } = useRuntime();
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setHooks(await api.webhooks(channel.id));
      setError(null);
    } catch (err) {
      setError(refusal('Could not load the webhooks', err));
    }
  }, [api, channel.id]);
  useEffect(() => {
    void load();
  }, [load]);

  const remove = async (hook: Webhook) => {
    setBusy(true);
    try {
      await api.deleteWebhook(channel.id, hook.id);
      setConfirming(null);
      setHooks((list) => list?.filter((h) => h.id !== hook.id) ?? null);
      setError(null);
    } catch (err) {
      setError(refusal(`Could not delete “${hook.name}”`, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="muted small-text">
        Incoming webhooks let a script or a CI job post here; outgoing ones tell your service about new,
        edited and deleted messages.
      </p>
      <div className="row integrations-new">
        <button type="button" className="secondary small" onClick={() => onView({ kind: 'new-incoming' })}>
          New incoming webhook
        </button>
        <button type="button" className="secondary small" onClick={() => onView({ kind: 'new-outgoing' })}>
          New outgoing webhook
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!hooks && !error && <p className="muted">Loading webhooks…</p>}
      {hooks && hooks.length === 0 && <p className="muted">This channel has no webhooks yet.</p>}
      {hooks && hooks.length > 0 && (
        <ul className="pick-list webhook-list" aria-label="Webhooks">
          {hooks.map((h) => (
            <li key={h.id}>
              <div className="pick-text">
                <strong>{h.name}</strong>
                <span className="small-text muted">
                  {h.kind === 'incoming' ? 'Incoming' : `Outgoing to ${h.targetUrl ?? ''}`} · created{' '}
                  <time dateTime={h.createdAt}>{formatFull(h.createdAt)}</time>
                </span>
                {confirming === h.id && (
                  <div className="confirm" role="group" aria-label={`Delete ${h.name}?`}>
                    <span className="small-text">
                      Delete “{h.name}”?{' '}
                      {h.kind === 'incoming'
                        ? 'Its URL stops working at once.'
                        : 'Nothing more is delivered to it.'}
                    </span>
                    <button
                      type="button"
                      className="danger small"
                      disabled={busy}
                      onClick={() => void remove(h)}
                    >
                      Delete webhook
                    </button>
                    <button type="button" className="ghost small" onClick={() => setConfirming(null)}>
                      Keep it
                    </button>
                  </div>
                )}
              </div>
              {h.kind === 'outgoing' && (
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Deliveries of ${h.name}`}
                  onClick={() => onView({ kind: 'deliveries', hook: h })}
                >
                  Deliveries
                </button>
              )}
              {confirming !== h.id && (
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Delete ${h.name}`}
                  onClick={() => setConfirming(h.id)}
                >
                  Delete
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function NewWebhookForm({
  channel,
  outgoing,
  onCancel,
  onCreated,
}: {
  channel: Channel;
  outgoing: boolean;
  onCancel: () => void;
  onCreated: (hook: WebhookCreated) => void;
}) {
  const { api } = useRuntime();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventName[]>([...WEBHOOK_EVENT_NAMES]);
  const [error, setError] = useState<{ text: string; field: 'name' | 'url' | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), url: useId(), err: useId() };
  const fail = (text: string, field: 'name' | 'url' | null = null) => setError({ text, field });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return fail('Give the webhook a name.', 'name');
    if (n.length > NAME_MAX) return fail(`Names are at most ${NAME_MAX} characters.`, 'name');
    const target = url.trim();
    if (outgoing && !target) return fail('Give the URL to deliver events to.', 'url');
    if (outgoing && events.length === 0) return fail('Pick at least one event.');
    setBusy(true);
    setError(null);
    try {
      onCreated(
        await api.createWebhook(channel.id, outgoing ? { name: n, url: target, events } : { name: n }),
      );
    } catch (err) {
      const text = refusal('Not created', err);
      fail(text, /\bURL\b/.test(text) ? 'url' : /\bname\b/i.test(text) ? 'name' : null);
      setBusy(false);
    }
  };

  const toggle = (ev: WebhookEventName, on: boolean) =>
    setEvents((list) => WEBHOOK_EVENT_NAMES.filter((x) => (x === ev ? on : list.includes(x))));

  // noValidate: the server says why a URL is refused (internal address, scheme), in one place.
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          autoFocus
          maxLength={NAME_MAX + 20}
          placeholder={outgoing ? 'Archive service' : 'CI'}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={error?.field === 'name'}
          aria-describedby={error?.field === 'name' ? ids.err : undefined}
        />
      </div>
      {outgoing && (
        <>
          <div className="field">
            <label htmlFor={ids.url}>URL to deliver to</label>
            <input
              id={ids.url}
              type="url"
              value={url}
              placeholder="https://example.com/chat-events"
              onChange={(e) => setUrl(e.target.value)}
              aria-invalid={error?.field === 'url'}
              aria-describedby={error?.field === 'url' ? ids.err : undefined}
            />
          </div>
          <fieldset className="field">
            <legend>Events</legend>
            {WEBHOOK_EVENT_NAMES.map((ev) => (
              <label key={ev} className="check">
                <input
                  type="checkbox"
                  checked={events.includes(ev)}
                  onChange={(e) => toggle(ev, e.target.checked)}
                />{' '}
                {ev}
              </label>
            ))}
          </fieldset>
        </>
      )}
      {error && (
        <p className="form-error" role="alert" id={ids.err}>
          {error.text}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Create webhook
        </button>
      </div>
    </form>
  );
}

/** The secret of a webhook just created: shown here once, never again. */
function Created({ channel, hook, onDone }: { channel: Channel; hook: WebhookCreated; onDone: () => void }) {
  const incoming = hook.kind === 'incoming';
  const secret = (incoming ? hook.url : hook.secret) ?? '';
  const label = incoming ? 'Webhook URL' : 'Signing secret';
  const curl = `curl -sX POST '${secret}' -H 'Content-Type: application/json' -d '{"text":"Hello from CI"}'`;
  return (
    <div className="webhook-created">
      <p>
        {incoming ? 'Incoming' : 'Outgoing'} webhook “{hook.name}” created.
      </p>
      <SecretField label={label} value={secret} />
      <p className="notice warn" role="note">
        Copy it now: you won't see this again.{' '}
        {incoming
          ? `Anyone who has this URL can post in ${titleOf(channel)}.`
          : 'Use it to check the X-Chat-Signature header of each delivery.'}
      </p>
      {incoming && (
        <>
          <p className="small-text">Try it:</p>
          <pre className="curl-example">
            <code>{curl}</code>
          </pre>
        </>
      )}
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function SecretField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard permission: select it so Ctrl+C works.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
      setCopied('failed');
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input id={id} value={value} readOnly spellCheck={false} onFocus={(e) => e.target.select()} />
        <button type="button" className="secondary small" onClick={() => void copy()}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <span className="small-text muted" aria-live="polite">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Selected: press Ctrl+C to copy.'
            : ''}
      </span>
    </div>
  );
}

const STATUS_TEXT: Record<WebhookDelivery['status'], string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed',
};

/** The receiver's last status and why it failed, without saying "HTTP 503" twice. */
function lastAnswer(d: WebhookDelivery): string {
  const status = d.lastStatus !== null ? `HTTP ${d.lastStatus}` : null;
  const parts = [status, d.lastError && d.lastError !== status ? d.lastError : null].filter(Boolean);
  return parts.length ? parts.join(' · ') : '—';
}

/** An outgoing webhook's recent events (newest first), as the delivery worker left them. */
function Deliveries({ channel, hook, onBack }: { channel: Channel; hook: Webhook; onBack: () => void }) {
  const { api } = useRuntime();
  const [list, setList] = useState<WebhookDelivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    setBusy(true);
    try {
      setList((await api.webhookDeliveries(channel.id, hook.id)).deliveries);
      setError(null);
    } catch (err) {
      setError(refusal('Could not load the deliveries', err));
    } finally {
      setBusy(false);
    }
  }, [api, channel.id, hook.id]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <p className="small-text muted">
        To {hook.targetUrl} · {hook.events.join(', ')}
      </p>
      <div className="row integrations-new">
        <button type="button" className="ghost small" onClick={onBack}>
          Back to webhooks
        </button>
        <button type="button" className="secondary small" disabled={busy} onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {list && list.length === 0 && (
        <p className="muted">Nothing delivered yet: events from its creation on show here.</p>
      )}
      {list && list.length > 0 && (
        <div className="table-scroll">
          <table className="deliveries" aria-label={`Deliveries of ${hook.name}`}>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Event</th>
                <th scope="col">Seq</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Queued</th>
                <th scope="col">Delivered</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} className={`delivery-${d.status}`}>
                  <td>{STATUS_TEXT[d.status]}</td>
                  <td>{d.event}</td>
                  <td>{d.seq}</td>
                  <td>{d.attempts}</td>
                  <td>{lastAnswer(d)}</td>
                  <td>
                    <time dateTime={d.createdAt}>{formatFull(d.createdAt)}</time>
                  </td>
                  <td>
                    {d.deliveredAt ? <time dateTime={d.deliveredAt}>{formatFull(d.deliveredAt)}</time> : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
