import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import type { Channel, FileInfo } from '@chat/contracts';
import { describeError } from '../api/errors';
import { describeTyping, typingNames } from '../state/typing';
import { checkFile } from '../util/files';
import { titleOf } from '../util/format';
import { Composer, type Upload } from './Composer';
import type { DialogName } from './dialogs';
import { LockIcon, MenuIcon, PeopleIcon } from './icons';
import { PinsButton, SearchButton, Topic } from './HeaderTools';
import { IntegrationsButton } from './Integrations';
import { MessageList } from './MessageList';
import { NotifyMenu } from './NotifyMenu';
import { useChat, useRuntime } from './runtime';

let uploadSeq = 0;

export function Conversation({
  channel,
  onShowNav,
  membersOpen,
  onToggleMembers,
  onDialog,
  focus,
}: {
  channel: Channel | null;
  onShowNav: () => void;
  membersOpen: boolean;
  onToggleMembers: () => void;
  onDialog: (d: DialogName) => void;
  focus?: { seq: number; n: number } | null;
}) {
  const connection = useChat((s) => s.connection);
  const channelsLoaded = useChat((s) => s.channelsLoaded);

  return (
    <main
      className="conversation"
      aria-label={channel ? `Conversation: ${titleOf(channel)}` : 'Conversation'}
    >
      <header className="conv-head">
        <button
          type="button"
          className="icon-btn only-phone"
          aria-label="Open channel list"
          onClick={onShowNav}
        >
          <MenuIcon />
        </button>
        {channel ? (
          <>
            <div className="conv-title">
              <h1>
                <span className="conv-kind" aria-hidden="true">
                  {channel.kind === 'dm' ? '@' : channel.kind === 'private' ? <LockIcon /> : '#'}
                </span>
                {channel.name}
              </h1>
              <Topic channel={channel} />
            </div>
            <SearchButton onOpen={() => onDialog('search')} />
            <PinsButton channel={channel} />
            <NotifyMenu channel={channel} />
            <IntegrationsButton channel={channel} />
            <button
              type="button"
              className="ghost small members-toggle"
              aria-expanded={membersOpen}
              aria-controls="members-panel"
              onClick={onToggleMembers}
            >
              <PeopleIcon /> <span>{channel.memberCount}</span>
              <span className="sr-only"> members</span>
            </button>
          </>
        ) : (
          <div className="conv-title">
            <h1>Chat</h1>
          </div>
        )}
      </header>
      <ConnectionBanner state={connection} />
      {channel ? (
        <ChannelBody key={channel.id} channel={channel} focus={focus ?? null} />
      ) : (
        <div className="conv-empty">
          {channelsLoaded ? (
            <>
              <h2>Welcome!</h2>
              <p>Pick a conversation from the channel list, or</p>
              <div className="row">
                <button type="button" className="primary" onClick={() => onDialog('browse')}>
                  Browse channels
                </button>
                <button type="button" className="secondary" onClick={() => onDialog('create')}>
                  Create a channel
                </button>
                <button type="button" className="secondary" onClick={() => onDialog('dm')}>
                  Message someone
                </button>
              </div>
            </>
          ) : connection === 'offline' ? (
            <p className="muted">
              You are offline. Your conversations will load when the connection is back.
            </p>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </div>
      )}
    </main>
  );
}

function ConnectionBanner({ state }: { state: string }) {
  // Shown only when something is wrong; "connecting" on first load is brief and says little.
  const text =
    state === 'offline'
      ? 'You are offline. Messages you send now will be delivered when the connection is back.'
      : state === 'reconnecting'
        ? 'Connection lost. Reconnecting…'
        : null;
  return (
    <div className={`conn-banner${text ? ` show ${state}` : ''}`} role="status" aria-live="polite">
      {text}
    </div>
  );
}

/** Messages, typing line and composer of one channel (remounted per channel). */
function ChannelBody({ channel, focus }: { channel: Channel; focus: { seq: number; n: number } | null }) {
  const { api } = useRuntime();
  const connection = useChat((s) => s.connection);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const aborts = useRef(new Map<number, () => void>());

  // Uploads belong to this channel: leaving it cancels them.
  useEffect(() => {
    const map = aborts.current;
    return () => {
      for (const abort of map.values()) abort();
      map.clear();
    };
  }, []);

  const patch = (id: number, change: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.id === id ? { ...u, ...change } : u)));

  const addFiles = useCallback(
    (files: File[]) => {
      for (const file of files) {
        const id = ++uploadSeq;
        const problem = checkFile(file);
        const base: Upload = { id, name: file.name, size: file.size, loaded: 0, status: 'uploading' };
        if (problem) {
          setUploads((l) => [...l, { ...base, status: 'error', error: problem }]);
          continue;
        }
        if (connection === 'offline') {
          setUploads((l) => [...l, { ...base, status: 'error', error: `${file.name}: you are offline.` }]);
          continue;
        }
        setUploads((l) => [...l, base]);
        const job = api.upload(channel.id, file, (loaded) => patch(id, { loaded }));
        aborts.current.set(id, job.abort);
        job.done.then(
          (info: FileInfo) => patch(id, { status: 'done', loaded: file.size, info }),
          (err: unknown) => patch(id, { status: 'error', error: `${file.name}: ${describeError(err)}` }),
        );
        void job.done.finally(() => aborts.current.delete(id)).catch(() => undefined);
      }
    },
    [api, channel.id, connection],
  );

  const removeUpload = (id: number) => {
    aborts.current.get(id)?.();
    aborts.current.delete(id);
    setUploads((l) => l.filter((u) => u.id !== id));
  };

  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');

  return (
    <div
      className="conv-body"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        dragDepth.current++;
        setDragging(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => {
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        addFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <MessageList channel={channel} focus={focus} />
      <TypingLine channelId={channel.id} />
      {channel.archivedAt ? (
        // Read-only: the server refuses new messages in an archived channel.
        <p className="archived-banner" role="status">
          This channel is archived
        </p>
      ) : (
        <Composer
          channel={channel}
          uploads={uploads}
          onFiles={addFiles}
          onRemoveUpload={removeUpload}
          onSent={() => setUploads((l) => l.filter((u) => u.status === 'uploading'))}
        />
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop files to share them in {titleOf(channel)}</div>
        </div>
      )}
    </div>
  );
}

/** Who is typing in the channel; its own subscription, so typing re-renders only this line. */
function TypingLine({ channelId }: { channelId: string }) {
  const { store } = useRuntime();
  const typing = useChat((s) => s.typing);
  // Expire typists even when no event arrives (a closed tab never says "stopped").
  const [, setTick] = useState(0);
  const anyTyping = Object.keys(typing[channelId] ?? {}).length > 0;
  useEffect(() => {
    if (!anyTyping) return;
    const t = setInterval(() => {
      setTick((n) => n + 1);
      store.pruneTyping();
    }, 1000);
    return () => clearInterval(t);
  }, [anyTyping, store]);
  const text = describeTyping(typingNames(typing, channelId, Date.now()));
  return (
    <div className="typing-line" aria-live="polite">
      {text}
    </div>
  );
}
