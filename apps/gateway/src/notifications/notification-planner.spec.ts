import type { ChannelKind, NotifyLevel } from '@chat/contracts';
import { notificationKind, planNotifications, type Candidate } from './notification-planner';

const who = (
  notify: NotifyLevel | null,
  facts: Partial<Pick<Candidate, 'mentioned' | 'follows'>> = {},
): Candidate => ({ userId: 'u', notify, mentioned: false, follows: false, ...facts });
const kind = (c: Candidate, channelKind: ChannelKind, everyone = false) =>
  notificationKind(c, { channelKind, everyone });

describe('notificationKind', () => {
  it('the default outside DMs is mentions: mentions and followed threads only', () => {
    expect(kind(who(null), 'public')).toBeNull();
    expect(kind(who(null, { mentioned: true }), 'public')).toBe('mention');
    expect(kind(who(null), 'private', true)).toBe('mention');
    expect(kind(who(null, { follows: true }), 'public')).toBe('reply');
    expect(kind(who(null, { mentioned: true, follows: true }), 'public')).toBe('mention');
  });

  it('the default in a DM is all: every message, as a dm', () => {
    expect(kind(who(null), 'dm')).toBe('dm');
    expect(kind(who(null, { mentioned: true, follows: true }), 'dm')).toBe('dm');
  });

  it('all: every message, the first kind that applies of mention, reply, message', () => {
    expect(kind(who('all'), 'public')).toBe('message');
    expect(kind(who('all', { follows: true }), 'public')).toBe('reply');
    expect(kind(who('all', { follows: true }), 'public', true)).toBe('mention');
  });

  it('mentions in a DM: only mentions, still as dm; replies alone do not count there', () => {
    expect(kind(who('mentions'), 'dm')).toBeNull();
    expect(kind(who('mentions', { follows: true }), 'dm')).toBeNull();
    expect(kind(who('mentions', { mentioned: true }), 'dm')).toBe('dm');
    expect(kind(who('mentions'), 'dm', true)).toBe('dm');
  });

  it('none: nothing, not even a mention, @channel or a reply', () => {
    for (const channelKind of ['public', 'private', 'dm'] as const)
      expect(kind(who('none', { mentioned: true, follows: true }), channelKind, true)).toBeNull();
  });
});

describe('planNotifications', () => {
  it('groups recipients by kind in precedence order and leaves out the rest', () => {
    const plan = planNotifications(
      [
        { userId: 'a', notify: 'all', mentioned: false, follows: false },
        { userId: 'b', notify: null, mentioned: true, follows: false },
        { userId: 'c', notify: null, mentioned: false, follows: true },
        { userId: 'd', notify: null, mentioned: false, follows: false },
        { userId: 'e', notify: 'all', mentioned: true, follows: false },
        { userId: 'f', notify: 'none', mentioned: true, follows: true },
      ],
      { channelKind: 'public', everyone: false },
    );
    expect(plan).toEqual([
      { kind: 'mention', userIds: ['b', 'e'] },
      { kind: 'reply', userIds: ['c'] },
      { kind: 'message', userIds: ['a'] },
    ]);
  });

  it('is empty when the message concerns nobody', () => {
    expect(planNotifications([], { channelKind: 'public', everyone: true })).toEqual([]);
    expect(
      planNotifications([{ userId: 'x', notify: null, mentioned: false, follows: false }], {
        channelKind: 'public',
        everyone: false,
      }),
    ).toEqual([]);
  });
});
