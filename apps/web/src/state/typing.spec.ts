import { applyTyping, clearTypist, describeTyping, pruneTyping, typingNames, TypingSender } from './typing';

const ev = (username: string, typing = true, channelId = 'c1') => ({
  channelId,
  userId: `u-${username}`,
  username,
  typing,
});

describe('who is typing', () => {
  it('shows a typist until the 5 s expiry, renewed by each event', () => {
    let s = applyTyping({}, ev('alice'), 1000);
    expect(typingNames(s, 'c1', 5999)).toEqual(['alice']);
    expect(typingNames(s, 'c1', 6000)).toEqual([]);
    s = applyTyping(s, ev('alice'), 5000);
    expect(typingNames(s, 'c1', 9000)).toEqual(['alice']);
  });

  it('removes a typist on typing:false and when their message arrives', () => {
    let s = applyTyping(applyTyping({}, ev('alice'), 0), ev('bob'), 0);
    s = applyTyping(s, ev('alice', false), 10);
    expect(typingNames(s, 'c1', 20)).toEqual(['bob']);
    s = clearTypist(s, 'c1', 'u-bob');
    expect(typingNames(s, 'c1', 20)).toEqual([]);
  });

  it('keeps channels apart', () => {
    const s = applyTyping({}, ev('alice', true, 'c2'), 0);
    expect(typingNames(s, 'c1', 1)).toEqual([]);
    expect(typingNames(s, 'c2', 1)).toEqual(['alice']);
  });

  it('prunes expired entries and keeps the same object when nothing expired', () => {
    const s = applyTyping({}, ev('alice'), 0);
    expect(pruneTyping(s, 100)).toBe(s);
    expect(pruneTyping(s, 6000)).toEqual({});
  });

  it('words it for people', () => {
    expect(describeTyping([])).toBe('');
    expect(describeTyping(['alice'])).toBe('alice is typing…');
    expect(describeTyping(['alice', 'bob'])).toBe('alice and bob are typing…');
    expect(describeTyping(['a', 'b', 'c', 'd', 'e'])).toBe('a, b and 3 others are typing…');
  });
});

describe('sending typing notices', () => {
  function sender() {
    let now = 0;
    const sent: [string, boolean][] = [];
    const s = new TypingSender(
      (c, t) => sent.push([c, t]),
      () => now,
    );
    return { s, sent, tick: (ms: number) => (now += ms) };
  }

  it('says true on the first keystroke and not again on each one', () => {
    const { s, sent, tick } = sender();
    s.input('c1');
    tick(500);
    s.input('c1');
    tick(500);
    s.input('c1');
    expect(sent).toEqual([['c1', true]]);
  });

  it('renews before the 5 s expiry while typing continues', () => {
    const { s, sent, tick } = sender();
    s.input('c1');
    for (let i = 0; i < 8; i++) {
      tick(1000);
      s.input('c1');
    }
    const trues = sent.filter(([, t]) => t).length;
    expect(trues).toBeGreaterThanOrEqual(3);
    expect(sent.every(([, t]) => t)).toBe(true);
  });

  it('says false once on send/blur, and nothing if it never said true', () => {
    const { s, sent } = sender();
    s.stop();
    expect(sent).toEqual([]);
    s.input('c1');
    s.stop();
    s.stop();
    expect(sent).toEqual([
      ['c1', true],
      ['c1', false],
    ]);
  });

  it('stops in the old channel when typing moves to another', () => {
    const { s, sent } = sender();
    s.input('c1');
    s.input('c2');
    expect(sent).toEqual([
      ['c1', true],
      ['c1', false],
      ['c2', true],
    ]);
  });
});
