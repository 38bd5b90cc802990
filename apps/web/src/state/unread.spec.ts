import { alice, bob, channel, msg } from '../testing/fixtures';
import { markRead, onIncoming, onIncomingMany, ReadMarkers } from './unread';

const opts = { myUserId: alice.id, viewing: false };

describe('unread counting', () => {
  it("counts others' new messages in a channel not being viewed", () => {
    const c = onIncomingMany(channel({ lastSeq: 3 }), [msg(4), msg(5)], opts);
    expect(c).toMatchObject({ lastSeq: 5, unreadCount: 2 });
  });

  it('counts a message once even when it arrives twice (push + catch-up)', () => {
    let c = onIncoming(channel({ lastSeq: 3 }), msg(4), opts);
    c = onIncoming(c, msg(4), opts);
    c = onIncomingMany(c, [msg(3), msg(4)], opts);
    expect(c.unreadCount).toBe(1);
  });

  it('does not count our own messages', () => {
    const mine = msg(4, { author: { id: alice.id, username: alice.username, bot: false } });
    expect(onIncoming(channel({ lastSeq: 3 }), mine, opts)).toMatchObject({ lastSeq: 4, unreadCount: 0 });
  });

  it('does not count while the channel is on screen, and clears what was there', () => {
    const c = onIncoming(channel({ lastSeq: 3, unreadCount: 2 }), msg(4), { ...opts, viewing: true });
    expect(c.unreadCount).toBe(0);
  });

  it('marks read', () => {
    const a = channel({ id: 'a', unreadCount: 2 });
    expect(markRead(a).unreadCount).toBe(0);
    const zero = channel({ unreadCount: 0 });
    expect(markRead(zero)).toBe(zero);
    void bob;
  });
});

describe('read markers', () => {
  it('sends a marker only when it moves forward', () => {
    const r = new ReadMarkers();
    expect(r.next('c1', 5)).toBe(5);
    r.sentUpTo('c1', 5);
    expect(r.next('c1', 5)).toBeNull();
    expect(r.next('c1', 4)).toBeNull();
    expect(r.next('c1', 6)).toBe(6);
    expect(r.next('c1', 0)).toBeNull();
  });
});
