import { alice, bob, channel, msg } from '../testing/fixtures';
import { applyToggle, describeReaction, isAdd, roomForNewEmoji } from './reactions';
import { applyReactions } from './timeline';

describe('reactions', () => {
  const thumbs = { emoji: '👍', userIds: [bob.id] };

  it('adds to an existing emoji, or a new one last; adding twice changes nothing', () => {
    expect(applyToggle([thumbs], '👍', alice.id, true)).toEqual([
      { emoji: '👍', userIds: [bob.id, alice.id] },
    ]);
    expect(applyToggle([thumbs], '🎉', alice.id, true)).toEqual([
      thumbs,
      { emoji: '🎉', userIds: [alice.id] },
    ]);
    expect(applyToggle([thumbs], '👍', bob.id, true)).toEqual([thumbs]);
  });

  it('removes mine, and an emptied emoji disappears', () => {
    const both = [{ emoji: '👍', userIds: [bob.id, alice.id] }];
    expect(applyToggle(both, '👍', alice.id, false)).toEqual([thumbs]);
    expect(applyToggle([thumbs], '👍', bob.id, false)).toEqual([]);
    expect(applyToggle([thumbs], '👍', alice.id, false)).toEqual([thumbs]);
  });

  it('a click toggles: adds when I have not reacted with it, removes when I have', () => {
    expect(isAdd([thumbs], '👍', alice.id)).toBe(true);
    expect(isAdd([thumbs], '👍', bob.id)).toBe(false);
    expect(isAdd([], ':tada:', bob.id)).toBe(true);
  });

  it('holds at most 20 distinct emoji', () => {
    const full = Array.from({ length: 20 }, (_, i) => ({ emoji: `:e${i}:`, userIds: [bob.id] }));
    expect(roomForNewEmoji(full)).toBe(false);
    expect(roomForNewEmoji(full.slice(1))).toBe(true);
    expect(applyToggle(full, ':new:', alice.id, true)).toEqual(full);
    // An existing one still takes more people.
    expect(applyToggle(full, ':e0:', alice.id, true)[0].userIds).toEqual([bob.id, alice.id]);
  });

  it('says who reacted', () => {
    const names: Record<string, string> = { [bob.id]: 'bob' };
    expect(describeReaction({ emoji: '👍', userIds: [bob.id, alice.id] }, (u) => names[u], alice.id)).toBe(
      'bob and you reacted with 👍',
    );
    const many = { emoji: '🎉', userIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] };
    expect(describeReaction(many, (u) => u, 'me')).toBe('a, b, c, d, e and 2 others reacted with 🎉');
  });

  it('applies a message:reactions push to the message it names only', () => {
    const t = { messages: [msg(1), msg(2)], hasOlder: false };
    const next = applyReactions(t, { messageId: msg(2).id, channelId: channel().id, reactions: [thumbs] });
    expect(next.messages[0]).toBe(t.messages[0]);
    expect(next.messages[1].reactions).toEqual([thumbs]);
    // The same reactions again, or an unknown message: nothing changes (nothing re-renders).
    expect(applyReactions(next, { messageId: msg(2).id, channelId: 'c1', reactions: [{ ...thumbs }] })).toBe(
      next,
    );
    expect(applyReactions(next, { messageId: 'nope', channelId: 'c1', reactions: [] })).toBe(next);
  });
});
