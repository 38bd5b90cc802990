import { useEffect, useRef, useState } from 'react';
import type { Channel, NotifyLevel } from '@chat/contracts';
import { titleOf } from '../util/format';
import { BellIcon, BellOffIcon } from './icons';
import { useRuntime } from './runtime';

const LEVELS: { level: NotifyLevel; label: string; hint: string }[] = [
  { level: 'all', label: 'All new messages', hint: 'Every message here notifies you' },
  { level: 'mentions', label: 'Mentions', hint: '@you, @channel, @here, and replies to your threads' },
  { level: 'none', label: 'Nothing', hint: 'No notifications from here' },
];

const LEVEL_NAME: Record<NotifyLevel, string> = {
  all: 'all messages',
  mentions: 'mentions',
  none: 'nothing',
};

/**
 * The channel header's bell: this person's notification level for the channel, and mute. Changes
 * apply at once (PUT /channels/:id/preferences) and follow `channel:updated` from other tabs.
 */
export function NotifyMenu({ channel }: { channel: Channel }) {
  const { store } = useRuntime();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
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
  const quiet = channel.muted || channel.notify === 'none';
  const state = channel.muted ? 'muted' : LEVEL_NAME[channel.notify];
  return (
    <div className="notify-menu" ref={box}>
      <button
        type="button"
        className={`ghost small${quiet ? ' quiet' : ''}`}
        aria-expanded={open}
        aria-label={`Notifications: ${state}`}
        title={`Notifications: ${state}`}
        onClick={() => setOpen((v) => !v)}
      >
        {quiet ? <BellOffIcon /> : <BellIcon />}
      </button>
      {open && (
        <div className="notify-pop" role="dialog" aria-label={`Notifications for ${titleOf(channel)}`}>
          <fieldset>
            <legend>Notify me about</legend>
            {LEVELS.map(({ level, label, hint }) => (
              <label key={level} className="notify-option">
                <input
                  type="radio"
                  name={`notify-${channel.id}`}
                  value={level}
                  checked={channel.notify === level}
                  onChange={() => void store.setPreferences(channel.id, { notify: level })}
                />
                <span>
                  <strong>{label}</strong>
                  <span className="muted">{hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label className="notify-option mute">
            <input
              type="checkbox"
              checked={channel.muted}
              onChange={(e) => void store.setPreferences(channel.id, { muted: e.target.checked })}
            />
            <span>
              <strong>Mute {titleOf(channel)}</strong>
              <span className="muted">
                No notifications at all, and its unread count stays out of the tab title
              </span>
            </span>
          </label>
        </div>
      )}
    </div>
  );
}
