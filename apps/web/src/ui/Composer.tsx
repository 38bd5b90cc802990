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
import { ClipIcon, SendIcon } from './icons';
import { useChat, useRuntime } from './runtime';

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
}: {
  channel: Channel;
  uploads: Upload[];
  onFiles: (files: File[]) => void;
  onRemoveUpload: (id: number) => void;
  onSent: () => void;
}) {
  const { store } = useRuntime();
  const connection = useChat((s) => s.connection);
  const [text, setText] = useState(() => drafts.get(channel.id) ?? '');
  const boxRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const ids = { input: useId(), hint: useId(), count: useId() };

  useEffect(() => {
    drafts.set(channel.id, text);
  }, [channel.id, text]);

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
    store.send(channel.id, text, ready);
    setText('');
    onSent();
    boxRef.current?.focus();
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
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
          Message {titleOf(channel)}
        </label>
        <textarea
          ref={boxRef}
          id={ids.input}
          rows={1}
          value={text}
          placeholder={`Message ${titleOf(channel)}`}
          aria-describedby={`${ids.hint}${remaining < 200 ? ` ${ids.count}` : ''}`}
          aria-invalid={tooLong}
          onChange={(e) => {
            setText(e.target.value);
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
