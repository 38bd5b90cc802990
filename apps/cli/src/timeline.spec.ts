import { Timeline } from './timeline';

describe('Timeline', () => {
  it('accepts the next seq and moves its cursor', () => {
    const t = new Timeline('c', 4);
    expect(t.accept(5)).toBe('new');
    expect(t.accept(6)).toBe('new');
    expect(t.lastSeq).toBe(6);
  });

  it('drops what it has already shown: a replay, an ack racing its push', () => {
    const t = new Timeline('c', 6);
    expect(t.accept(6)).toBe('duplicate');
    expect(t.accept(2)).toBe('duplicate');
    expect(t.lastSeq).toBe(6);
  });

  it('reports a gap without moving, so the caller syncs instead of guessing', () => {
    const t = new Timeline('c', 6);
    expect(t.accept(9)).toBe('gap');
    expect(t.lastSeq).toBe(6);
    // The gap stays a gap until it is filled.
    expect(t.accept(9)).toBe('gap');
  });

  it('ignores a seq that is not a safe integer', () => {
    const t = new Timeline('c', 1);
    expect(t.accept(Number.NaN)).toBe('duplicate');
    expect(t.accept(2.5)).toBe('duplicate');
    expect(t.accept(2 ** 60)).toBe('duplicate');
    expect(t.lastSeq).toBe(1);
  });

  it('merges a sync answer: only what is new, in seq order, cursor at its end', () => {
    const t = new Timeline('c', 3);
    const fresh = t.merge([{ seq: 5 }, { seq: 2 }, { seq: 4 }, { seq: 3 }, { seq: 6 }]);
    expect(fresh.map((m) => m.seq)).toEqual([4, 5, 6]);
    expect(t.lastSeq).toBe(6);
  });

  it('shows each message once when live pushes and a catch-up overlap', () => {
    const t = new Timeline('c', 0);
    const shown: number[] = [];
    const live = (seq: number) => t.accept(seq) === 'new' && shown.push(seq);
    live(1);
    live(2);
    // Disconnected while 3..6 were sent; on reconnect the sync returns them, and pushes of 5 and 6
    // arrive around it.
    expect(t.accept(5)).toBe('gap');
    shown.push(...t.merge([3, 4, 5, 6].map((seq) => ({ seq }))).map((m) => m.seq));
    live(5);
    live(6);
    live(7);
    expect(shown).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('merges nothing from an empty answer', () => {
    const t = new Timeline('c', 10);
    expect(t.merge([])).toEqual([]);
    expect(t.lastSeq).toBe(10);
  });
});
