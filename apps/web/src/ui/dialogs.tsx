import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { LIMITS, type Channel, type User } from '@chat/contracts';
import { ApiError, describeError } from '../api/errors';
import { useChat, useRuntime } from './runtime';

/** The dialogs the signed-in layout can open (none: null). */
export type DialogName = 'create' | 'browse' | 'dm' | 'search' | null;

/**
 * A modal on the native <dialog>: the browser traps focus, Escape closes it and focus returns
 * to where it was. Unmounting closes it.
 */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
    >
      <div className="dialog-inner">
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={() => ref.current?.close()}>
            ✕
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}

export function CreateChannelDialog({ onClose }: { onClose: () => void }) {
  const { store } = useRuntime();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), topic: useId(), err: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setError('Give the channel a name.');
    if (n.length > LIMITS.channelNameMax)
      return setError(`Names are at most ${LIMITS.channelNameMax} characters.`);
    setBusy(true);
    setError(null);
    try {
      await store.createChannel(n, kind, topic.trim() || undefined);
      onClose();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'CONFLICT'
          ? `A public channel called “${n}” already exists.`
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Create a channel" onClose={onClose}>
      <form onSubmit={submit} className="dialog-body">
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            value={name}
            maxLength={LIMITS.channelNameMax}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. design-review"
            autoFocus
            aria-invalid={!!error}
            aria-describedby={error ? ids.err : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.topic}>
            Topic <span className="muted">(optional)</span>
          </label>
          <input
            id={ids.topic}
            value={topic}
            maxLength={LIMITS.topicMax}
            onChange={(e) => setTopic(e.target.value)}
          />
        </div>
        <fieldset className="field radio-group">
          <legend>Who can join</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'public'} onChange={() => setKind('public')} />
            <span>
              <strong>Public</strong> — anyone can find and join it
            </span>
          </label>
          <label>
            <input
              type="radio"
              name="kind"
              checked={kind === 'private'}
              onChange={() => setKind('private')}
            />
            <span>
              <strong>Private</strong> — only people you invite
            </span>
          </label>
        </fieldset>
        {error && (
          <p className="form-error" role="alert" id={ids.err}>
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create channel'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Debounced search as the user types; the latest answer wins. */
function useSearch<T>(query: string, run: (q: string) => Promise<T[]>, minLength = 0) {
  const [results, setResults] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const q = query.trim();
    if (q.length < minLength) {
      setResults(null);
      return;
    }
    let live = true;
    setBusy(true);
    const t = setTimeout(() => {
      runRef.current(q).then(
        (r) => {
          if (!live) return;
          setResults(r);
          setError(null);
          setBusy(false);
        },
        (err: unknown) => {
          if (!live) return;
          setError(describeError(err));
          setBusy(false);
        },
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query, minLength]);
  return { results, error, busy };
}

export function BrowseChannelsDialog({
  onClose,
  onOpen,
}: {
  onClose: () => void;
  onOpen: (id: string) => void;
}) {
  const { api, store } = useRuntime();
  const mine = useChat((s) => s.channels);
  const [query, setQuery] = useState('');
  const { results, error, busy } = useSearch<Channel>(query, (q) => api.publicChannels(q));
  const [joining, setJoining] = useState<string | null>(null);
  const [joinError, setJoinError] = useState<string | null>(null);
  const searchId = useId();

  const join = async (c: Channel) => {
    setJoining(c.id);
    setJoinError(null);
    try {
      await store.join(c.id);
      onClose();
    } catch (err) {
      setJoinError(describeError(err));
    } finally {
      setJoining(null);
    }
  };

  return (
    <Dialog title="Browse channels" onClose={onClose}>
      <div className="dialog-body">
        <div className="field">
          <label htmlFor={searchId}>Search public channels</label>
          <input
            id={searchId}
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoFocus
          />
        </div>
        {error && <p className="form-error">{error}</p>}
        {joinError && (
          <p className="form-error" role="alert">
            {joinError}
          </p>
        )}
        <ul className="pick-list" aria-busy={busy} aria-label="Public channels">
          {results?.map((c) => {
            const member = mine.some((m) => m.id === c.id);
            return (
              <li key={c.id}>
                <div className="pick-text">
                  <strong># {c.name}</strong>
                  <span className="muted small-text">
                    {c.memberCount} {c.memberCount === 1 ? 'member' : 'members'}
                    {c.topic ? ` · ${c.topic}` : ''}
                  </span>
                </div>
                {member ? (
                  <button
                    type="button"
                    className="ghost small"
                    onClick={() => {
                      onOpen(c.id);
                      onClose();
                    }}
                  >
                    Open
                  </button>
                ) : (
                  <button
                    type="button"
                    className="primary small"
                    disabled={joining === c.id}
                    onClick={() => void join(c)}
                    aria-label={`Join ${c.name}`}
                  >
                    {joining === c.id ? 'Joining…' : 'Join'}
                  </button>
                )}
              </li>
            );
          })}
          {results && results.length === 0 && <li className="muted">No public channels match.</li>}
        </ul>
      </div>
    </Dialog>
  );
}

/** Username search (GET /users?q=), excluding the caller and anyone in `exclude`. */
export function UserSearch({
  label,
  actionLabel,
  onPick,
  exclude = [],
  autoFocus,
}: {
  label: string;
  actionLabel: (u: User) => string;
  onPick: (u: User) => Promise<void>;
  exclude?: string[];
  autoFocus?: boolean;
}) {
  const { api } = useRuntime();
  const me = useChat((s) => s.me);
  const [query, setQuery] = useState('');
  const { results, error, busy } = useSearch<User>(query, (q) => api.searchUsers(q), 1);
  const [picking, setPicking] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const id = useId();
  const shown = (results ?? []).filter((u) => u.id !== me.id && !exclude.includes(u.id));

  const pick = async (u: User) => {
    setPicking(u.id);
    setPickError(null);
    try {
      await onPick(u);
      setQuery('');
    } catch (err) {
      setPickError(describeError(err));
    } finally {
      setPicking(null);
    }
  };

  return (
    <div className="user-search">
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="search"
          value={query}
          autoComplete="off"
          placeholder="Start typing a username"
          onChange={(e) => setQuery(e.target.value)}
          autoFocus={autoFocus}
        />
      </div>
      {error && <p className="form-error">{error}</p>}
      {pickError && (
        <p className="form-error" role="alert">
          {pickError}
        </p>
      )}
      {results && (
        <ul className="pick-list" aria-busy={busy} aria-label="Matching people">
          {shown.map((u) => (
            <li key={u.id}>
              <div className="pick-text">
                <strong>{u.username}</strong>
              </div>
              <button
                type="button"
                className="primary small"
                disabled={picking === u.id}
                onClick={() => void pick(u)}
                aria-label={actionLabel(u)}
              >
                {picking === u.id ? '…' : actionLabel(u).split(' ')[0]}
              </button>
            </li>
          ))}
          {shown.length === 0 && !busy && <li className="muted">Nobody found.</li>}
        </ul>
      )}
    </div>
  );
}

export function NewDmDialog({ onClose }: { onClose: () => void }) {
  const { store } = useRuntime();
  return (
    <Dialog title="New direct message" onClose={onClose}>
      <div className="dialog-body">
        <UserSearch
          label="Find someone by username"
          actionLabel={(u) => `Message ${u.username}`}
          autoFocus
          onPick={async (u) => {
            await store.openDm(u);
            onClose();
          }}
        />
      </div>
    </Dialog>
  );
}
