import { lazy, memo, Suspense, useEffect, useRef, useState } from 'react';
import type { Message } from '@chat/contracts';
import { describeReaction, reactedBy, roomForNewEmoji } from '../state/reactions';
import { useChat, useRuntime } from './runtime';

/** The picker is big: it loads the first time someone opens it, not with the app. */
const EmojiPicker = lazy(() => import('./EmojiPicker'));

/** Chips under a message: emoji, count, who (in the title), mine highlighted; a click toggles. */
export const Reactions = memo(function Reactions({ m, live }: { m: Message; live: boolean }) {
  const { store } = useRuntime();
  const meId = useChat((s) => s.me.id);
  const members = useChat((s) => s.members[m.channelId]);
  if (m.deleted || m.reactions.length === 0) return null;
  const nameOf = (id: string) => members?.find((x) => x.userId === id)?.username;
  return (
    <div className="reactions" role="group" aria-label="Reactions">
      {m.reactions.map((r) => {
        const mine = reactedBy(r, meId);
        const who = describeReaction(r, nameOf, meId);
        return (
          <button
            key={r.emoji}
            type="button"
            className={`reaction${mine ? ' mine' : ''}`}
            aria-pressed={mine}
            title={who}
            aria-label={`${r.emoji} ${r.userIds.length}: ${who}`}
            disabled={!live}
            onClick={() => void store.toggleReaction(m, r.emoji)}
          >
            <span className="reaction-emoji">{r.emoji}</span>
            <span className="reaction-count">{r.userIds.length}</span>
          </button>
        );
      })}
      {roomForNewEmoji(m.reactions) && <AddReaction m={m} live={live} />}
    </div>
  );
});

/** "Add reaction": opens the emoji picker; hidden once a message has the 20 distinct it may carry. */
export function AddReaction({ m, live, label = '+' }: { m: Message; live: boolean; label?: string }) {
  const { store } = useRuntime();
  const [open, setOpen] = useState(false);
  /** Which way the picker opens: towards the larger space around the button. */
  const [place, setPlace] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  if (!roomForNewEmoji(m.reactions)) return null;
  return (
    <div className="add-reaction" ref={box}>
      <button
        type="button"
        className="reaction add"
        aria-label="Add reaction"
        title="Add reaction"
        aria-expanded={open}
        disabled={!live}
        onClick={() => {
          const r = box.current?.getBoundingClientRect();
          if (r) {
            const x = r.left + r.width / 2 < window.innerWidth / 2 ? 'pop-right' : 'pop-left';
            const y = r.top < window.innerHeight / 2 ? 'pop-down' : 'pop-up';
            setPlace(`${x} ${y}`);
          }
          setOpen((v) => !v);
        }}
      >
        <span aria-hidden="true">☺</span>
        {label}
      </button>
      {open && (
        <div className={`emoji-pop ${place}`}>
          <Suspense fallback={<p className="muted pad">Loading emoji…</p>}>
            <EmojiPicker
              onPick={(emoji) => {
                setOpen(false);
                void store.toggleReaction(m, emoji);
              }}
            />
          </Suspense>
        </div>
      )}
    </div>
  );
}
