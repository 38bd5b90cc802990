import { useEffect, useId, useRef, useState } from 'react';
import { LIMITS, type Channel, type Message, type User } from '@chat/contracts';
import { describeError } from '../api/errors';
import type { SearchFilters } from '../api/chat-api';
import { canEditTopic } from '../state/selectors';
import { formatFull, titleOf } from '../util/format';
import { permalinkHash } from '../util/permalink';
import { Dialog } from './dialogs';
import { PinIcon, SearchIcon } from './icons';
import { useChat, useRuntime } from './runtime';

/** The topic under the channel name, editable in place by its owner and staff. */
export function Topic({ channel }: { channel: Channel }) {
  const { api, store } = useRuntime();
  const allowed = useChat((s) => canEditTopic(s, channel));
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(channel.topic);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  useEffect(() => {
    setEditing(false);
    setError(null);
  }, [channel.id]);

  if (!editing) {
    return (
      <div className="topic-row">
        {channel.topic && <p className="conv-topic">{channel.topic}</p>}
        {allowed && (
          <button
            type="button"
            className="link-btn small-text"
            onClick={() => {
              setValue(channel.topic);
              setEditing(true);
            }}
          >
            {channel.topic ? 'Edit topic' : 'Add a topic'}
          </button>
        )}
      </div>
    );
  }
  const save = async () => {
    const topic = value.trim();
    if (topic.length > LIMITS.topicMax) return setError(`A topic is at most ${LIMITS.topicMax} characters.`);
    setBusy(true);
    setError(null);
    try {
      store.channelUpdated(await api.updateChannel(channel.id, { topic }));
      setEditing(false);
    } catch (err) {
      setError(`Could not change the topic: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="topic-edit"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor={id} className="sr-only">
        Topic of {titleOf(channel)}
      </label>
      <input
        id={id}
        value={value}
        autoFocus
        maxLength={LIMITS.topicMax + 50}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
        aria-invalid={!!error}
      />
      <button type="submit" className="primary small" disabled={busy}>
        Save topic
      </button>
      <button type="button" className="ghost small" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * The pin icon with the number of pinned messages; opens their list (GET /channels/:id/pins).
 * Re-read when a pin changes in what we hold (message:updated carries `pinned`).
 */
export function PinsButton({ channel }: { channel: Channel }) {
  const { api } = useRuntime();
  const heldPins = useChat((s) =>
    (s.timelines[channel.id]?.messages ?? [])
      .filter((m) => m.pinned)
      .map((m) => m.id)
      .join(),
  );
  const [pins, setPins] = useState<Message[] | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    api.pins(channel.id).then(
      (list) => live && (setPins(list), setError(null)),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api, channel.id, heldPins]);
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  const count = pins?.length ?? 0;
  return (
    <div className="pins" ref={box}>
      <button
        type="button"
        className="ghost small"
        aria-expanded={open}
        aria-label={`Pinned messages: ${count}`}
        title="Pinned messages"
        onClick={() => setOpen((v) => !v)}
      >
        <PinIcon /> <span>{count}</span>
      </button>
      {open && (
        <div className="pins-pop" role="dialog" aria-label="Pinned messages">
          <h3>Pinned messages</h3>
          {error && <p className="form-error">{error}</p>}
          {pins && pins.length === 0 && <p className="muted">Nothing is pinned yet.</p>}
          <ul>
            {pins?.map((m) => (
              <li key={m.id}>
                <a
                  href={permalinkHash(m.channelId, m.seq)}
                  onClick={() => setOpen(false)}
                  className="pin-row"
                >
                  <strong>{m.author.username}</strong>{' '}
                  <span className="muted">{formatFull(m.createdAt)}</span>
                  <span className="pin-text">{m.body.slice(0, 200)}</span>
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function SearchButton({ onOpen }: { onOpen: () => void }) {
  return (
    <button
      type="button"
      className="icon-btn"
      aria-label="Search messages"
      title="Search messages"
      onClick={onOpen}
    >
      <SearchIcon />
    </button>
  );
}

/** Full-text search with filters: where, from whom, when, with files, in a thread. */
export function SearchDialog({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  const { api } = useRuntime();
  const thread = useChat((s) => s.thread);
  const [q, setQ] = useState('');
  const [here, setHere] = useState(!!channel);
  const [from, setFrom] = useState<User | null>(null);
  const [fromQuery, setFromQuery] = useState('');
  const [fromResults, setFromResults] = useState<User[]>([]);
  const [after, setAfter] = useState('');
  const [before, setBefore] = useState('');
  const [hasFile, setHasFile] = useState(false);
  const [inThread, setInThread] = useState(false);
  const [results, setResults] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { q: useId(), from: useId(), after: useId(), before: useId() };
  const channels = useChat((s) => s.channels);

  useEffect(() => {
    if (from || fromQuery.trim().length < 1) return setFromResults([]);
    let live = true;
    const t = setTimeout(() => {
      api.searchUsers(fromQuery.trim()).then(
        (list) => live && setFromResults(list),
        () => live && setFromResults([]),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, from, fromQuery]);

  const run = async () => {
    if (!q.trim()) return setError('Type something to search for.');
    const f: SearchFilters = {
      q: q.trim(),
      channelId: here && channel ? channel.id : undefined,
      from: from?.id,
      after: after ? new Date(`${after}T00:00:00`).toISOString() : undefined,
      before: before ? new Date(`${before}T23:59:59.999`).toISOString() : undefined,
      hasFile,
      threadId: inThread && thread ? thread.rootId : undefined,
    };
    setBusy(true);
    setError(null);
    try {
      setResults((await api.search(f)).messages);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Search messages" onClose={onClose}>
      <form
        className="dialog-body search-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div className="field">
          <label htmlFor={ids.q}>Search for</label>
          <input id={ids.q} type="search" value={q} autoFocus onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="search-filters">
          {channel && (
            <label>
              <input type="checkbox" checked={here} onChange={(e) => setHere(e.target.checked)} /> Only in{' '}
              {titleOf(channel)}
            </label>
          )}
          <label>
            <input type="checkbox" checked={hasFile} onChange={(e) => setHasFile(e.target.checked)} /> Has a
            file
          </label>
          {thread && (
            <label>
              <input type="checkbox" checked={inThread} onChange={(e) => setInThread(e.target.checked)} /> In
              the open thread
            </label>
          )}
          <div className="field">
            <label htmlFor={ids.from}>From</label>
            {from ? (
              <span className="chip">
                {from.username}{' '}
                <button
                  type="button"
                  className="icon-btn small"
                  aria-label="Any author"
                  onClick={() => setFrom(null)}
                >
                  ✕
                </button>
              </span>
            ) : (
              <input
                id={ids.from}
                value={fromQuery}
                placeholder="Anyone"
                onChange={(e) => setFromQuery(e.target.value)}
              />
            )}
            {!from && fromResults.length > 0 && (
              <ul className="pick-list" aria-label="Authors">
                {fromResults.map((u) => (
                  <li key={u.id}>
                    <button
                      type="button"
                      className="link-btn"
                      onClick={() => {
                        setFrom(u);
                        setFromQuery('');
                      }}
                    >
                      From {u.username}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="field">
            <label htmlFor={ids.after}>After</label>
            <input id={ids.after} type="date" value={after} onChange={(e) => setAfter(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.before}>Before</label>
            <input id={ids.before} type="date" value={before} onChange={(e) => setBefore(e.target.value)} />
          </div>
        </div>
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>
            Search
          </button>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {results && (
          <ul className="search-results" aria-label="Search results">
            {results.length === 0 && <li className="muted">No messages found.</li>}
            {results.map((m) => {
              const c = channels.find((x) => x.id === m.channelId);
              return (
                <li key={m.id}>
                  <a
                    href={permalinkHash(m.channelId, m.seq)}
                    className="result-row"
                    onClick={() => onClose()}
                  >
                    <span className="muted">
                      {c ? titleOf(c) : ''} · {m.author.username} · {formatFull(m.createdAt)}
                      {m.threadId ? ' · in a thread' : ''}
                    </span>
                    <span className="result-text">{m.body.slice(0, 300)}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        )}
      </form>
    </Dialog>
  );
}
