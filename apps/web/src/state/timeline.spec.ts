import { msg, range } from '../testing/fixtures';
import {
  addMessages,
  addOlderPage,
  applyDeletion,
  applyUpdate,
  contiguousEnd,
  fromLatestPage,
  hasGap,
  isInOrder,
  lastSeq,
  mergeMessages,
} from './timeline';

const seqs = (ms: { seq: number }[]) => ms.map((m) => m.seq);

describe('merging history and live messages by seq', () => {
  it('keeps messages in seq order whatever order they arrive in', () => {
    const merged = mergeMessages([msg(3), msg(1)], [msg(4), msg(2)]);
    expect(seqs(merged)).toEqual([1, 2, 3, 4]);
  });

  it('holds each message once when the same one arrives through several doors', () => {
    const page = range(1, 5);
    const live = msg(5);
    const sync = range(4, 6);
    const t = addMessages(addMessages(fromLatestPage(page, false), [live]), sync);
    expect(seqs(t.messages)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(t.messages.map((m) => m.id)).size).toBe(6);
  });

  it('returns the same timeline object when nothing new arrived (no re-render)', () => {
    const t = fromLatestPage(range(1, 3), false);
    expect(addMessages(t, [msg(2)])).toBe(t);
    expect(addMessages(t, [])).toBe(t);
  });

  it('keeps the edited copy over a stale copy that arrives later', () => {
    const edited = msg(2, { body: 'fixed', editedAt: '2025-01-01T13:00:00.000Z' });
    const t = addMessages(fromLatestPage([msg(1), edited], false), [msg(2)]);
    expect(t.messages[1].body).toBe('fixed');
  });

  it('takes a later edit over an earlier one', () => {
    const first = msg(2, { body: 'one', editedAt: '2025-01-01T13:00:00.000Z' });
    const second = msg(2, { body: 'two', editedAt: '2025-01-01T13:05:00.000Z' });
    expect(mergeMessages([first], [second])[0].body).toBe('two');
    expect(mergeMessages([second], [first])[0].body).toBe('two');
  });

  it('never resurrects a deleted message from a stale copy', () => {
    const t = applyDeletion(fromLatestPage(range(1, 3), false), { id: msg(2).id, channelId: 'c1', seq: 2 });
    const after = addMessages(t, [msg(2)]);
    expect(after.messages[1]).toMatchObject({ deleted: true, body: '', attachments: [] });
  });

  it('prepends an older page and records whether there is more', () => {
    const t = addOlderPage(fromLatestPage(range(51, 100), true), range(1, 50), false);
    expect(seqs(t.messages)).toEqual(range(1, 100).map((m) => m.seq));
    expect(t.hasOlder).toBe(false);
  });
});

describe('edits and deletions', () => {
  it('applies an edit to a message we hold', () => {
    const t = applyUpdate(
      fromLatestPage(range(1, 2), false),
      msg(2, { body: 'new', editedAt: '2025-01-02T00:00:00.000Z' }),
    );
    expect(t.messages[1]).toMatchObject({ body: 'new', editedAt: '2025-01-02T00:00:00.000Z' });
  });

  it('ignores an edit of a message outside what we hold (catch-up brings it)', () => {
    const t = fromLatestPage(range(1, 2), false);
    expect(applyUpdate(t, msg(9, { body: 'x' }))).toBe(t);
  });

  it('marks a deleted message in place, keeping its seq', () => {
    const t = applyDeletion(fromLatestPage(range(1, 3), false), { id: msg(2).id, channelId: 'c1', seq: 2 });
    expect(seqs(t.messages)).toEqual([1, 2, 3]);
    expect(t.messages[1].deleted).toBe(true);
  });
});

describe('gap detection', () => {
  it('finds the end of the run without holes', () => {
    const t = fromLatestPage([...range(10, 12), msg(15)], true);
    expect(contiguousEnd(t)).toBe(12);
    expect(lastSeq(t)).toBe(15);
    expect(hasGap(t)).toBe(true);
  });

  it('reports no gap once the hole is filled', () => {
    const t = addMessages(fromLatestPage([...range(10, 12), msg(15)], true), range(13, 14));
    expect(hasGap(t)).toBe(false);
    expect(contiguousEnd(t)).toBe(15);
  });

  it('tells an in-order push from one that reveals missed messages', () => {
    const t = fromLatestPage(range(1, 5), false);
    expect(isInOrder(t, 6, 5)).toBe(true);
    expect(isInOrder(t, 5, 5)).toBe(true); // a duplicate is harmless
    expect(isInOrder(t, 8, 5)).toBe(false);
  });

  it('uses the channel last seq when no history is held', () => {
    expect(isInOrder(undefined, 4, 3)).toBe(true);
    expect(isInOrder(undefined, 6, 3)).toBe(false);
  });
});
