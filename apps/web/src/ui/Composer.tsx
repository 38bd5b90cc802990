import {
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { LIMITS, type Channel, type FileInfo } from '@chat/contracts';
import { formatBytes, titleOf } from '../util/format';
import { completeMention, mentionOptions, mentionQuery, moveActive } from '../util/mentions';
import { ClipIcon, SendIcon } from './icons';
import { sameItems, useChat, useRuntime } from './runtime';

export interface Upload {
  id: number;
  name: string;
  size: number;
  loaded: number;
  status: 'uploading' | 'done' | 'error';
  info?: FileInfo;
  error?: string;
}

/** Unsent text per channel, kept while switching channels (not across reloads). */
const drafts = new Map<string, string>();

export function Composer({
  channel,
  uploads,
  onFiles,
  onRemoveUpload,
  onSent,
  threadId,
}: {
  channel: Channel;
  uploads: Upload[];
  onFiles: (files: File[]) => void;
  onRemoveUpload: (id: number) => void;
  onSent: () => void;
  /** Replying in this thread (the thread panel's composer). */
  threadId?: string;
}) {
  const { store } = useRuntime();
  const connection = useChat((s) => s.connection);
  const draftKey = threadId ? `thread:${threadId}` : channel.id;
  const [text, setText] = useState(() => drafts.get(draftKey) ?? '');
  const myName = useChat((s) => s.me.username);
  const memberNames = useChat((s) => (s.members[channel.id] ?? []).map((m) => m.username), sameItems);
  // The @-autocomplete: what is being typed at the caret, the options, the highlighted one.
  const [caret, setCaret] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const at = mentionQuery(text, caret);
  const options =
    at && dismissed !== at.start
      ? mentionOptions(
          at.query,
          memberNames.map((username) => ({ username })),
          myName,
        )
      : [];
  const listId = useId();
  const optionId = (i: number) => `${listId}-opt-${i}`;
  const activeIndex = options.length ? Math.min(active, options.length - 1) : -1;
  const boxRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const ids = { input: useId(), hint: useId(), count: useId() };

  useEffect(() => {
    drafts.set(draftKey, text);
  }, [draftKey, text]);

  // Focus the box when a channel opens (not on phones, where it would pop the keyboard up).
  useEffect(() => {
    if (!window.matchMedia('(max-width: 760px)').matches) boxRef.current?.focus();
  }, [channel.id]);

  // Grow with the text up to a limit (a CSSOM property, which the CSP allows).
  useLayoutEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const ready = uploads.filter((u) => u.status === 'done' && u.info).map((u) => u.info as FileInfo);
  const uploading = uploads.some((u) => u.status === 'uploading');
  const tooLong = text.trim().length > LIMITS.messageBodyMax;
  const canSend = !uploading && !tooLong && (text.trim().length > 0 || ready.length > 0);

  const send = () => {
    if (!canSend) return;
    if (threadId) store.sendReply(text, ready);
    else store.send(channel.id, text, ready);
    setText('');
    onSent();
    boxRef.current?.focus();
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };

  // Where the caret goes once a completed mention is in the box. Set in the same commit as the
  // text (a layout effect runs before the browser handles the next key), so what is typed right
  // after Enter lands after the mention; on the next animation frame, a slow frame could move the
  // caret back over words already typed.
  const caretAfterPick = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = boxRef.current;
    const pos = caretAfterPick.current;
    caretAfterPick.current = null;
    if (el && pos !== null) {
      el.focus();
      el.setSelectionRange(pos, pos);
    }
  });

  const pick = (name: string) => {
    if (!at) return;
    const next = completeMention(text, at, name);
    caretAfterPick.current = next.caret;
    setText(next.text);
    setCaret(next.caret);
    setActive(0);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (options.length > 0 && !e.nativeEvent.isComposing) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive(moveActive(activeIndex, e.key === 'ArrowDown' ? 1 : -1, options.length));
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
        e.preventDefault();
        pick(options[activeIndex].name);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        if (at) setDismissed(at.start);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const remaining = LIMITS.messageBodyMax - text.trim().length;

  return (
    <form className="composer" onSubmit={onSubmit} aria-label={`Send a message to ${titleOf(channel)}`}>
      {uploads.length > 0 && (
        <ul className="upload-tray" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.id} className={`upload ${u.status}`}>
              <div className="upload-info">
                <span className="upload-name" title={u.name}>
                  {u.name}
                </span>
                <span className="upload-size">{formatBytes(u.size)}</span>
              </div>
              {u.status === 'uploading' && (
                <progress
                  max={u.size || 1}
                  value={u.loaded}
                  aria-label={`Uploading ${u.name}`}
                  aria-valuetext={`${Math.round((u.loaded / (u.size || 1)) * 100)}%`}
                />
              )}
              {u.status === 'error' && (
                <p className="upload-error" role="alert">
                  {u.error}
                </p>
              )}
              {u.status === 'done' && <span className="upload-ok">Ready to send</span>}
              <button
                type="button"
                className="icon-btn small"
                aria-label={u.status === 'uploading' ? `Cancel upload of ${u.name}` : `Remove ${u.name}`}
                onClick={() => onRemoveUpload(u.id)}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        <button
          type="button"
          className="icon-btn attach"
          aria-label="Attach files"
          title="Attach files"
          onClick={() => fileRef.current?.click()}
        >
          <ClipIcon />
        </button>
        <input
          ref={fileRef}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            onFiles(Array.from(e.target.files ?? []));
            e.target.value = '';
          }}
        />
        <label htmlFor={ids.input} className="sr-only">
          {threadId ? `Reply in thread in ${titleOf(channel)}` : `Message ${titleOf(channel)}`}
        </label>
        {options.length > 0 && (
          <ul className="mention-list" id={listId} role="listbox" aria-label="People to mention">
            {options.map((o, i) => (
              <li
                key={o.name}
                id={optionId(i)}
                role="option"
                aria-selected={i === activeIndex}
                className={i === activeIndex ? 'active' : undefined}
                onMouseDown={(e) => {
                  // Keep the focus in the textarea.
                  e.preventDefault();
                  pick(o.name);
                }}
                onMouseEnter={() => setActive(i)}
              >
                <strong>@{o.name}</strong>
                {o.hint && <span className="muted"> {o.hint}</span>}
              </li>
            ))}
          </ul>
        )}
        <textarea
          ref={boxRef}
          id={ids.input}
          rows={1}
          value={text}
          placeholder={threadId ? 'Reply in thread' : `Message ${titleOf(channel)}`}
          aria-autocomplete="list"
          aria-controls={options.length > 0 ? listId : undefined}
          aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          aria-describedby={`${ids.hint}${remaining < 200 ? ` ${ids.count}` : ''}`}
          aria-invalid={tooLong}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
            setActive(0);
            if (e.target.value.trim()) store.typingSender.input(channel.id);
            else store.typingSender.stop();
          }}
          onKeyDown={onKeyDown}
          onBlur={() => store.typingSender.stop()}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData.files);
            if (files.length) {
              e.preventDefault();
              onFiles(files);
            }
          }}
        />
        <button type="submit" className="primary send" disabled={!canSend} aria-label="Send message">
          <SendIcon />
        </button>
      </div>
      <div className="composer-foot">
        <span id={ids.hint} className="muted">
          {uploading ? (
            'Waiting for the upload to finish…'
          ) : connection === 'live' ? (
            <>
              <kbd>Enter</kbd> to send, <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
            </>
          ) : (
            'Not connected: messages will wait here and go out when the connection is back.'
          )}
        </span>
        {remaining < 200 && (
          <span id={ids.count} className={remaining < 0 ? 'over' : 'muted'}>
            {remaining < 0 ? `${-remaining} characters too long` : `${remaining} characters left`}
          </span>
        )}
      </div>
    </form>
  );
}
