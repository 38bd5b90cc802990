import {
  memo,
  useEffect,
  useMemo,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import type { Channel, FileInfo, Message } from '@chat/contracts';
import { forChannel, type PendingMessage } from '../state/outbox';
import { canDeleteMessage, canModerate, canPin } from '../state/selectors';
import { mentionsMe } from '../state/unread';
import { describeError } from '../api/errors';
import { dayKey, formatDay, formatFull, formatTime, hueOf, titleOf } from '../util/format';
import { permalinkUrl } from '../util/permalink';
import { Attachment } from './attachments';
import { BotBadge } from './BotBadge';
import { ClockIcon, PinIcon, ThreadIcon } from './icons';
import { Markdown } from './Markdown';
import { AddReaction, Reactions } from './Reactions';
import { countRender } from './render-count';
import { sameItems, useChat, useRuntime } from './runtime';

/** Consecutive messages by one author within this span share one header. */
const GROUP_MS = 5 * 60_000;
const NEAR_BOTTOM_PX = 120;

/**
 * The history of one channel and our pending messages. It selects only what it shows, and is
 * memoized against its parent's re-renders, so typing and presence never re-render it.
 */
export const MessageList = memo(function MessageList({
  channel,
  focus,
}: {
  channel: Channel;
  /** A permalink's message: scrolled to and highlighted once it is loaded (`n` renews a request). */
  focus?: { seq: number; n: number } | null;
}) {
  countRender('MessageList');
  const { store } = useRuntime();
  const timeline = useChat((s) => s.timelines[channel.id]);
  const loading = useChat((s) => s.loading[channel.id]);
  const error = useChat((s) => s.historyError[channel.id]);
  const pending = useChat((s) => forChannel(s.outbox, channel.id), sameItems);
  const me = useChat((s) => s.me);
  const moderator = useChat((s) => canModerate(s, channel.id));
  const live = useChat((s) => s.connection === 'live');
  const pinAllowed = useChat((s) => canPin(s, channel));
  // Replies live in their thread panel; the channel shows roots (with their reply counts).
  const messages = useMemo(() => (timeline?.messages ?? []).filter((m) => !m.threadId), [timeline]);
  const [highlight, setHighlight] = useState<number | null>(null);

  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const lastHeight = useRef(0);
  const firstSeq = useRef<number | null>(null);
  const lastSeen = useRef<number>(0);
  const [newBelow, setNewBelow] = useState(0);
  const [announcement, setAnnouncement] = useState('');

  const toBottom = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    stick.current = true;
    store.setScrolledUp(channel.id, false);
    setNewBelow(0);
  };

  // A notification for this channel while the reader is up in its history still shows a toast.
  useEffect(() => {
    store.setScrolledUp(channel.id, false);
    return () => store.setScrolledUp(channel.id, false);
  }, [store, channel.id]);

  // After each render: keep the reading position when older messages were put on top, follow
  // the bottom when the reader was there, otherwise count what arrived below.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.seq ?? null;
    const prepended = firstSeq.current !== null && first !== null && first < firstSeq.current;
    if (prepended && !stick.current) el.scrollTop += el.scrollHeight - lastHeight.current;
    else if (stick.current) el.scrollTop = el.scrollHeight;
    firstSeq.current = first;
    lastHeight.current = el.scrollHeight;
  });

  // New messages from others: announce them, and offer a jump when reading further up.
  const last = messages[messages.length - 1];
  useEffect(() => {
    if (!last) return;
    if (lastSeen.current && last.seq > lastSeen.current && last.author.id !== me.id && !last.deleted) {
      setAnnouncement(`${last.author.username}: ${last.body || 'sent a file'}`);
      if (!stick.current) setNewBelow((n) => n + 1);
    }
    if (last.author.id === me.id && last.seq > lastSeen.current && lastSeen.current) toBottom();
    lastSeen.current = Math.max(lastSeen.current, last.seq);
  }, [last, me.id]);

  // Our own pending messages always bring the view down.
  useEffect(() => {
    if (pending.length) toBottom();
  }, [pending.length]);

  // Images and edits change heights after render: stay at the bottom if we were there.
  useEffect(() => {
    const el = content.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      const s = scroller.current;
      if (s && stick.current) s.scrollTop = s.scrollHeight;
      if (s) lastHeight.current = s.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A permalink: once its message is on screen, bring it to the middle and highlight it briefly.
  const focusSeq = focus?.seq ?? null;
  const focusN = focus?.n ?? 0;
  const present = focusSeq !== null && messages.some((m) => m.seq === focusSeq);
  useEffect(() => {
    if (focusSeq === null || !present) return;
    const el = scroller.current?.querySelector<HTMLElement>(`li.msg[data-seq="${focusSeq}"]`);
    if (!el) return;
    stick.current = false;
    store.setScrolledUp(channel.id, true);
    el.scrollIntoView({ block: 'center' });
    setHighlight(focusSeq);
    const t = setTimeout(() => setHighlight(null), 4000);
    return () => clearTimeout(t);
  }, [focusSeq, focusN, present]);

  const hasOlder = !!timeline?.hasOlder && messages.length > 0;
  // A short history that does not fill the view: fetch more right away.
  useEffect(() => {
    const el = scroller.current;
    if (el && hasOlder && !loading && el.scrollHeight <= el.clientHeight + 50)
      void store.loadOlder(channel.id);
  }, [hasOlder, loading, messages.length, store, channel.id]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    store.setScrolledUp(channel.id, !stick.current);
    if (stick.current && newBelow) setNewBelow(0);
    if (el.scrollTop < 300 && hasOlder && !loading) void store.loadOlder(channel.id);
  };

  const items: ReactNode[] = [];
  let prev: Message | undefined;
  for (const m of messages) {
    if (!prev || dayKey(prev.createdAt) !== dayKey(m.createdAt)) {
      items.push(
        <li key={`day-${m.seq}`} className="day-divider" role="separator" aria-label={formatDay(m.createdAt)}>
          <span>{formatDay(m.createdAt)}</span>
        </li>,
      );
      prev = undefined;
    }
    const grouped =
      !!prev &&
      prev.author.id === m.author.id &&
      Date.parse(m.createdAt) - Date.parse(prev.createdAt) < GROUP_MS &&
      !prev.deleted;
    items.push(
      <MessageItem
        key={m.id}
        m={m}
        mine={m.author.id === me.id}
        grouped={grouped}
        canDelete={canDeleteMessage(m, me.id, moderator)}
        canPin={pinAllowed}
        live={live}
        highlighted={highlight === m.seq}
      />,
    );
    prev = m;
  }

  return (
    <div className="messages-wrap">
      <div
        className="messages"
        ref={scroller}
        onScroll={onScroll}
        tabIndex={0}
        aria-label={`Messages in ${titleOf(channel)}`}
      >
        <div className="history-top">
          {loading === 'older' && <p className="muted">Loading older messages…</p>}
          {!loading && hasOlder && (
            <button type="button" className="link-btn" onClick={() => void store.loadOlder(channel.id)}>
              Load older messages
            </button>
          )}
          {timeline && !timeline.hasOlder && (
            <div className="channel-intro">
              <h2>{titleOf(channel)}</h2>
              <p className="muted">
                {channel.kind === 'dm'
                  ? `This is the beginning of your conversation with ${channel.name}.`
                  : `This is the very beginning of ${titleOf(channel)}.${channel.topic ? ` ${channel.topic}` : ''}`}
              </p>
            </div>
          )}
        </div>
        {loading === 'latest' && !messages.length && <p className="muted center">Loading messages…</p>}
        {error && !messages.length && (
          <p className="form-error center" role="alert">
            Could not load messages: {error}
          </p>
        )}
        <ol className="message-list" ref={content}>
          {items}
          {pending.map((p) => (
            <PendingItem key={p.clientId} p={p} />
          ))}
        </ol>
      </div>
      {newBelow > 0 && (
        <button type="button" className="new-below" onClick={toBottom}>
          {newBelow === 1 ? '1 new message' : `${newBelow} new messages`} ↓
        </button>
      )}
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
    </div>
  );
});

/**
 * The contract wants a body with every message, so a files-only message carries their names
 * (see ChatStore.send); the cards already say that, so the text is not repeated.
 */
const bodyIsFileNames = (m: Message) =>
  m.attachments.length > 0 && m.body === m.attachments.map((a) => a.name).join(', ');

export const MessageItem = memo(function MessageItem({
  m,
  mine,
  grouped,
  canDelete,
  canPin,
  live,
  highlighted = false,
  inThread = false,
}: {
  m: Message;
  mine: boolean;
  grouped: boolean;
  canDelete: boolean;
  canPin: boolean;
  live: boolean;
  highlighted?: boolean;
  /** Shown in the thread panel: no "reply in thread", no reply count. */
  inThread?: boolean;
}) {
  const { store, api } = useRuntime();
  const me = useChat((s) => s.me);
  const [editing, setEditing] = useState(false);
  const canEdit = mine && !m.deleted;
  const forMe = !mine && !m.deleted && mentionsMe(m, me.id);

  const copyLink = async () => {
    const url = permalinkUrl(window.location.origin, window.location.pathname, m.channelId, m.seq);
    try {
      await navigator.clipboard.writeText(url);
      store.notify('Link copied.', 'info');
    } catch {
      store.notify(`Copy this link: ${url}`, 'info');
    }
  };
  const togglePin = async () => {
    try {
      if (m.pinned) await api.unpin(m.channelId, m.id);
      else await api.pin(m.channelId, m.id);
    } catch (err) {
      store.notify(`Could not ${m.pinned ? 'unpin' : 'pin'} the message: ${describeError(err)}`);
    }
  };

  return (
    <li
      className={`msg ${mine ? 'mine' : 'theirs'}${grouped ? ' grouped' : ''}${m.deleted ? ' deleted' : ''}${
        forMe ? ' for-me' : ''
      }${highlighted ? ' highlighted' : ''}${m.pinned ? ' pinned' : ''}`}
      data-seq={m.seq}
      data-id={m.id}
    >
      {!mine && !grouped && (
        <span className="avatar" aria-hidden="true" data-hue={hueOf(m.author.username) % 12}>
          {m.author.username.slice(0, 1).toUpperCase()}
        </span>
      )}
      <div className="bubble-col">
        {!grouped && (
          <div className="msg-meta">
            <span className="msg-author">{mine ? 'You' : m.author.username}</span>
            {m.author.bot && <BotBadge />}
            <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
              {formatTime(m.createdAt)}
            </time>
          </div>
        )}
        <div className="bubble">
          {m.deleted ? (
            <p className="msg-body deleted-text">This message was deleted.</p>
          ) : editing ? (
            <EditBox
              initial={m.body}
              onCancel={() => setEditing(false)}
              onSave={async (body) => {
                if (await store.edit(m, body)) setEditing(false);
              }}
            />
          ) : bodyIsFileNames(m) ? null : (
            <Markdown body={m.body} me={me} mentions={m.mentions} />
          )}
          {!m.deleted && m.attachments.length > 0 && (
            <div className="attachments">
              {m.attachments.map((f: FileInfo) => (
                <Attachment key={f.id} file={f} />
              ))}
            </div>
          )}
          <div className="bubble-foot">
            {m.pinned && !m.deleted && (
              <span className="pinned-mark" title="Pinned">
                <PinIcon /> Pinned
              </span>
            )}
            {grouped && (
              <time dateTime={m.createdAt} title={formatFull(m.createdAt)}>
                {formatTime(m.createdAt)}
              </time>
            )}
            {m.editedAt && !m.deleted && (
              <span className="edited" title={`Edited ${formatFull(m.editedAt)}`}>
                (edited)
              </span>
            )}
          </div>
        </div>
        <Reactions m={m} live={live} />
        {!inThread && m.replyCount > 0 && (
          <button type="button" className="thread-summary link-btn" onClick={() => void store.openThread(m)}>
            <ThreadIcon /> {m.replyCount === 1 ? '1 reply' : `${m.replyCount} replies`}
            {m.lastReplyAt && <span className="muted"> · last reply {formatTime(m.lastReplyAt)}</span>}
          </button>
        )}
      </div>
      {!m.deleted && !editing && (
        <div className="msg-tools">
          {m.reactions.length === 0 && <AddReaction m={m} live={live} label="" />}
          {!inThread && (
            <button
              type="button"
              className="icon-btn"
              aria-label="Reply in thread"
              title="Reply in thread"
              onClick={() => void store.openThread(m)}
            >
              <ThreadIcon />
            </button>
          )}
          <MessageMenu
            disabled={!live}
            onEdit={canEdit ? () => setEditing(true) : undefined}
            onDelete={canDelete ? () => void store.remove(m) : undefined}
            onPin={canPin && !inThread ? () => void togglePin() : undefined}
            pinned={m.pinned}
            onCopyLink={() => void copyLink()}
            author={mine ? 'your' : `${m.author.username}'s`}
          />
        </div>
      )}
    </li>
  );
});

function EditBox({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (body: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    const el = ref.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
  }, []);
  const save = async () => {
    if (busy || !text.trim()) return;
    setBusy(true);
    await onSave(text);
    setBusy(false);
  };
  return (
    <div className="edit-box">
      <label className="sr-only" htmlFor={id}>
        Edit message
      </label>
      <textarea
        id={id}
        ref={ref}
        value={text}
        rows={Math.min(8, text.split('\n').length + 1)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div className="edit-actions">
        <span className="muted small-text">Escape to cancel, Enter to save</span>
        <button type="button" className="ghost small" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="primary small"
          disabled={busy || !text.trim()}
          onClick={() => void save()}
        >
          Save
        </button>
      </div>
    </div>
  );
}

/** The ⋯ menu of a message: Edit / Delete (with a confirmation step). Escape closes it. */
function MessageMenu({
  onEdit,
  onDelete,
  onPin,
  pinned,
  onCopyLink,
  disabled,
  author,
}: {
  onEdit?: () => void;
  onDelete?: () => void;
  onPin?: () => void;
  pinned: boolean;
  onCopyLink: () => void;
  disabled: boolean;
  author: string;
}) {
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  const close = (focusButton = true) => {
    setOpen(false);
    setConfirming(false);
    if (focusButton) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    const onDoc = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && e.target !== button.current) close(false);
    };
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [open, confirming]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const items = Array.from(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);
      const i = items.indexOf(document.activeElement as HTMLButtonElement);
      const next = items[(i + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length];
      next?.focus();
    }
  };

  return (
    <div className="msg-menu">
      <button
        ref={button}
        type="button"
        className="icon-btn menu-btn"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Actions for ${author} message`}
        onClick={() => (open ? close() : setOpen(true))}
      >
        ⋯
      </button>
      {open && (
        <div className="menu" role="menu" ref={menu} onKeyDown={onKey} aria-label="Message actions">
          {confirming ? (
            <>
              <p className="menu-note">Delete this message for everyone?</p>
              <button
                type="button"
                role="menuitem"
                className="danger"
                onClick={() => {
                  close();
                  onDelete?.();
                }}
              >
                Delete
              </button>
              <button type="button" role="menuitem" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  close();
                  onCopyLink();
                }}
              >
                Copy link
              </button>
              {onPin && (
                <button
                  type="button"
                  role="menuitem"
                  disabled={disabled}
                  onClick={() => {
                    close();
                    onPin();
                  }}
                >
                  {pinned ? 'Unpin' : 'Pin to channel'}
                </button>
              )}
              {onEdit && (
                <button
                  type="button"
                  role="menuitem"
                  disabled={disabled}
                  onClick={() => {
                    close(false);
                    onEdit();
                  }}
                >
                  Edit
                </button>
              )}
              {onDelete && (
                <button
                  type="button"
                  role="menuitem"
                  className="danger"
                  disabled={disabled}
                  onClick={() => setConfirming(true)}
                >
                  Delete…
                </button>
              )}
              {disabled && <p className="menu-note">Available when connected.</p>}
            </>
          )}
        </div>
      )}
    </div>
  );
}

function PendingItem({ p }: { p: PendingMessage }) {
  const { store } = useRuntime();
  const status =
    p.status === 'failed'
      ? `Not sent: ${p.error ?? 'refused'}`
      : p.status === 'sending'
        ? 'Sending…'
        : 'Waiting for connection…';
  return (
    <li className={`msg mine pending ${p.status}`}>
      <div className="bubble-col">
        <div className="bubble">
          <p className="msg-body">{p.body}</p>
          {p.attachments.length > 0 && (
            <div className="attachments">
              {p.attachments.map((f) => (
                <Attachment key={f.id} file={f} />
              ))}
            </div>
          )}
          <div className="bubble-foot">
            <span className="pending-status" role={p.status === 'failed' ? 'alert' : undefined}>
              {p.status !== 'failed' && <ClockIcon />}
              {status}
            </span>
          </div>
        </div>
        {p.status === 'failed' && (
          <div className="pending-actions">
            <button type="button" className="link-btn" onClick={() => store.retry(p.clientId)}>
              Retry
            </button>
            <button type="button" className="link-btn" onClick={() => store.discard(p.clientId)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
