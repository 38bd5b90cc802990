import { useEffect, useState } from 'react';
import type { Channel, Member } from '@chat/contracts';
import { describeError } from '../api/errors';
import { canInvite, canModerate, isOnline } from '../state/selectors';
import { titleOf } from '../util/format';
import { BotBadge } from './BotBadge';
import { UserSearch } from './dialogs';
import { sameItems, useChat, useRuntime } from './runtime';

const byPresenceThenName = (online: (m: Member) => boolean) => (a: Member, b: Member) =>
  Number(online(b)) - Number(online(a)) || a.username.localeCompare(b.username);

export function MembersPanel({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const { store } = useRuntime();
  const members = useChat((s) => s.members[channel.id]);
  const me = useChat((s) => s.me);
  const moderator = useChat((s) => canModerate(s, channel.id));
  const invite = useChat((s) => canInvite(s, channel));
  // The presence of the people listed, in list order: other people's presence does not re-render it.
  const onlineFlags = useChat(
    (s) => (s.members[channel.id] ?? []).map((m) => isOnline(s, m.userId, m.online)),
    sameItems,
  );
  const [inviting, setInviting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);

  useEffect(() => {
    setInviting(false);
    setConfirmLeave(false);
    setError(null);
  }, [channel.id]);

  const onlineById = new Map((members ?? []).map((m, i) => [m.userId, onlineFlags[i]]));
  const online = (m: Member) => onlineById.get(m.userId) ?? false;
  const moderate = moderator && channel.kind !== 'dm';
  const sorted = [...(members ?? [])].sort(byPresenceThenName(online));
  const onlineCount = sorted.filter(online).length;

  const remove = async (m: Member) => {
    setError(null);
    try {
      await store.removeMember(channel.id, m.userId);
    } catch (err) {
      setError(`Could not remove ${m.username}: ${describeError(err)}`);
    }
  };

  const leave = async () => {
    try {
      await store.leave(channel.id);
    } catch (err) {
      setError(`Could not leave: ${describeError(err)}`);
    }
  };

  return (
    <aside className="members" id="members-panel" aria-label={`Members of ${titleOf(channel)}`}>
      <header className="members-head">
        <h2>
          Members <span className="muted">{members ? `${onlineCount} online of ${sorted.length}` : ''}</span>
        </h2>
        <button type="button" className="icon-btn" aria-label="Close members" onClick={onClose}>
          ✕
        </button>
      </header>
      {invite && (
        <div className="members-invite">
          {inviting ? (
            <>
              <UserSearch
                label={`Add people to ${titleOf(channel)}`}
                actionLabel={(u) => `Add ${u.username}`}
                exclude={(members ?? []).map((m) => m.userId)}
                autoFocus
                onPick={async (u) => {
                  await store.addMember(channel.id, u);
                }}
              />
              <button type="button" className="ghost small" onClick={() => setInviting(false)}>
                Done
              </button>
            </>
          ) : (
            <button type="button" className="secondary small wide" onClick={() => setInviting(true)}>
              Add people
            </button>
          )}
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!members && <p className="muted pad">Loading members…</p>}
      <ul className="member-list">
        {sorted.map((m) => {
          const on = online(m);
          const self = m.userId === me.id;
          return (
            <li key={m.userId}>
              <span className={`presence ${on ? 'on' : 'off'}`} aria-hidden="true" />
              <span className="member-name">
                {m.username}
                {self && <span className="muted"> (you)</span>}

                <span className="sr-only">{on ? ', online' : ', offline'}</span>
              </span>
              {/* Beside the name, not in it: a long name is cut short, the badge must not be. */}
              {m.bot && <BotBadge />}
              {m.role === 'owner' && channel.kind !== 'dm' && <span className="tag">owner</span>}
              {moderate && !self && (
                <button
                  type="button"
                  className="icon-btn small remove"
                  aria-label={`Remove ${m.username} from ${titleOf(channel)}`}
                  title="Remove from channel"
                  onClick={() => void remove(m)}
                >
                  ✕
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {channel.kind !== 'dm' && (
        <footer className="members-foot">
          {confirmLeave ? (
            <div className="confirm">
              <span>Leave {titleOf(channel)}?</span>
              <button type="button" className="danger small" onClick={() => void leave()}>
                Leave
              </button>
              <button type="button" className="ghost small" onClick={() => setConfirmLeave(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" className="ghost small" onClick={() => setConfirmLeave(true)}>
              Leave channel
            </button>
          )}
        </footer>
      )}
    </aside>
  );
}
