import type { Channel } from '@chat/contracts';
import { forThread } from '../state/outbox';
import { canDeleteMessage, canModerate } from '../state/selectors';
import { titleOf } from '../util/format';
import { Composer } from './Composer';
import { MessageItem } from './MessageList';
import { sameItems, useChat, useRuntime } from './runtime';

/** The open thread: its root, its replies, and a composer that replies in it. */
export function ThreadPanel({ channel }: { channel: Channel }) {
  const { store } = useRuntime();
  const thread = useChat((s) => s.thread);
  const me = useChat((s) => s.me);
  const moderator = useChat((s) => canModerate(s, channel.id));
  const live = useChat((s) => s.connection === 'live');
  const pending = useChat((s) => (thread ? forThread(s.outbox, thread.rootId) : []), sameItems);
  if (!thread) return null;
  const replies = thread.replies.messages;
  return (
    <aside className="members thread-panel" aria-label={`Thread in ${titleOf(channel)}`}>
      <header className="members-head">
        <h2>
          Thread <span className="muted">{titleOf(channel)}</span>
        </h2>
        <button
          type="button"
          className="icon-btn"
          aria-label="Close thread"
          onClick={() => store.closeThread()}
        >
          ✕
        </button>
      </header>
      <ol className="thread-list" aria-label="Replies">
        {thread.root && (
          <MessageItem
            m={thread.root}
            mine={thread.root.author.id === me.id}
            grouped={false}
            canDelete={canDeleteMessage(thread.root, me.id, moderator)}
            canPin={false}
            live={live}
            inThread
          />
        )}
        <li className="thread-count muted" role="separator">
          {thread.loading
            ? 'Loading replies…'
            : replies.length === 1
              ? '1 reply'
              : `${replies.length} replies`}
        </li>
        {thread.error && (
          <li className="form-error" role="alert">
            Could not load the replies: {thread.error}
          </li>
        )}
        {replies.map((r) => (
          <MessageItem
            key={r.id}
            m={r}
            mine={r.author.id === me.id}
            grouped={false}
            canDelete={canDeleteMessage(r, me.id, moderator)}
            canPin={false}
            live={live}
            inThread
          />
        ))}
        {pending.map((p) => (
          <li key={p.clientId} className="msg mine pending">
            <div className="bubble-col">
              <div className="bubble">
                <p className="msg-body">{p.body}</p>
                <div className="bubble-foot">
                  {p.status === 'failed' ? `Not sent: ${p.error}` : 'Sending…'}
                </div>
              </div>
            </div>
          </li>
        ))}
      </ol>
      {channel.archivedAt ? (
        // Read-only, like the channel's own composer: the server refuses replies there too.
        <p className="archived-banner" role="status">
          This channel is archived
        </p>
      ) : (
        <Composer
          key={thread.rootId}
          channel={channel}
          threadId={thread.rootId}
          uploads={[]}
          onFiles={() => store.notify('Attach files in the channel; threads take text replies.', 'info')}
          onRemoveUpload={() => undefined}
          onSent={() => undefined}
        />
      )}
    </aside>
  );
}

/** The Threads view: followed threads, those with new replies marked; a click opens one. */
export function ThreadsList({
  onOpen,
  onClose,
}: {
  onOpen: (channelId: string) => void;
  onClose: () => void;
}) {
  const { store } = useRuntime();
  const followed = useChat((s) => s.followed);
  const channels = useChat((s) => s.channels);
  return (
    <aside className="members threads-view" aria-label="Threads">
      <header className="members-head">
        <h2>Threads</h2>
        <button type="button" className="icon-btn" aria-label="Close threads" onClick={onClose}>
          ✕
        </button>
      </header>
      {!followed ? (
        <p className="muted pad">Loading…</p>
      ) : followed.length === 0 ? (
        <p className="muted pad">Threads you start, reply in or are mentioned in show up here.</p>
      ) : (
        <ul className="member-list threads">
          {followed.map((t) => {
            const c = channels.find((x) => x.id === t.root.channelId);
            return (
              <li key={t.root.id} className={t.unreadReplies > 0 ? 'unread' : undefined}>
                <button
                  type="button"
                  className="thread-row"
                  aria-label={`Thread by ${t.root.author.username} in ${c ? titleOf(c) : 'a channel'}${
                    t.unreadReplies ? `, ${t.unreadReplies} new replies` : ''
                  }`}
                  onClick={() => {
                    onOpen(t.root.channelId);
                    void store.openThread(t.root);
                    onClose();
                  }}
                >
                  <span className="thread-where muted">{c ? titleOf(c) : ''}</span>
                  <span className="thread-text">
                    <strong>{t.root.author.username}:</strong> {t.root.body.slice(0, 140) || 'deleted'}
                  </span>
                  <span className="muted">
                    {t.root.replyCount === 1 ? '1 reply' : `${t.root.replyCount} replies`}
                  </span>
                  {t.unreadReplies > 0 && (
                    <span className="badge" aria-hidden="true">
                      {t.unreadReplies}
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
