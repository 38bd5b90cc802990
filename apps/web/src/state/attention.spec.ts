import { channel } from '../testing/fixtures';
import { attentionCount, notificationTag, notificationUrl, notifies, tabTitle } from './attention';

describe('who hears what, and the count in the title', () => {
  it('follows the channel level: all hears everything, mentions hears all but plain messages', () => {
    const all = channel({ notify: 'all' });
    const mentions = channel({ notify: 'mentions' });
    for (const kind of ['mention', 'dm', 'reply', 'message'] as const) expect(notifies(all, kind)).toBe(true);
    expect(notifies(mentions, 'mention')).toBe(true);
    expect(notifies(mentions, 'reply')).toBe(true);
    expect(notifies(mentions, 'message')).toBe(false);
  });

  it('hears nothing at level none, nor when muted whatever the level', () => {
    for (const kind of ['mention', 'dm', 'reply', 'message'] as const) {
      expect(notifies(channel({ notify: 'none' }), kind)).toBe(false);
      expect(notifies(channel({ notify: 'all', muted: true }), kind)).toBe(false);
    }
  });

  it('counts unread messages, but of a muted channel only its mentions', () => {
    expect(
      attentionCount([
        channel({ id: 'a', unreadCount: 3, mentionCount: 1 }),
        channel({ id: 'b', unreadCount: 5, mentionCount: 2, muted: true }),
        channel({ id: 'c', unreadCount: -1 }),
      ]),
    ).toBe(5);
    expect(attentionCount([])).toBe(0);
  });

  it('puts the count first in the title, and caps it', () => {
    expect(tabTitle(0, '#general')).toBe('#general · Chat');
    expect(tabTitle(3, '#general')).toBe('(3) #general · Chat');
    expect(tabTitle(3, null)).toBe('(3) Chat');
    expect(tabTitle(12_345, null)).toBe('(999+) Chat');
  });

  it('tags per channel and links to the message', () => {
    expect(notificationTag('c1')).toBe('chat:c1');
    expect(notificationUrl({ channelId: 'c1', seq: 42 })).toBe('/#/c/c1/m/42');
  });
});
