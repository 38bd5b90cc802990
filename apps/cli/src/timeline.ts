/**
 * What one open channel has shown, by `seq` (per channel, gap-free, strictly increasing): the
 * display order and the catch-up cursor. `lastSeq` is the highest seq such that every message up
 * to it is known, so a message at or below it is a duplicate (a live push racing a sync, a send's
 * ack racing its own push, a replay after a reconnect) and one beyond `lastSeq + 1` means a gap to
 * fetch with `channel:sync` rather than guess around.
 */
export type Verdict = 'new' | 'duplicate' | 'gap';

export class Timeline {
  constructor(
    readonly channelId: string,
    private last = 0,
  ) {}

  get lastSeq(): number {
    return this.last;
  }

  /** A live message: `new` (show it; the cursor moved), `duplicate` (drop it) or `gap` (sync first). */
  accept(seq: number): Verdict {
    if (!Number.isSafeInteger(seq) || seq <= this.last) return 'duplicate';
    if (seq > this.last + 1) return 'gap';
    this.last = seq;
    return 'new';
  }

  /**
   * Messages the server says follow `lastSeq` (a `channel:sync` ack or a history page), ascending:
   * the ones not shown yet, in order. The server's list is complete, so the cursor moves to its end.
   */
  merge<T extends { seq: number }>(messages: readonly T[]): T[] {
    const fresh: T[] = [];
    for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (!Number.isSafeInteger(m.seq) || m.seq <= this.last) continue;
      this.last = m.seq;
      fresh.push(m);
    }
    return fresh;
  }
}
