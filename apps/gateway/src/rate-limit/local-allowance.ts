/** The share of a budget a replica may let through per window without asking the shared counter. */
export const LOCAL_SHARE = 0.1;

interface Window {
  ends: number;
  /** Commands let through locally in this window, not yet counted in the shared counter. */
  pending: number;
  /** Past the local allowance: every later command of the window is counted in the shared counter. */
  shared: boolean;
}

/**
 * The first ⌊points × LOCAL_SHARE⌋ commands of a key in each window, per replica, go without a
 * Redis round trip: a user far below the limit (the common case: a few commands a second) costs no
 * Redis call per command. Once a key sends more in a window, the commands let through so far are
 * added to the shared count with the one that asks, and every later one of the window is counted
 * there, so a user at the limit is limited exactly as before. What is never counted: a window in
 * which a replica saw at most the allowance, so a user spread over R replicas may get up to
 * R × ⌊points × LOCAL_SHARE⌋ commands a window beyond the limit (none when points < 10).
 */
export class LocalAllowance {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(
    private readonly allowance: number,
    private readonly windowMs: number,
  ) {}

  static forBudget(points: number, windowMs: number): LocalAllowance {
    return new LocalAllowance(Math.floor(points * LOCAL_SHARE), windowMs);
  }

  /** 0: let through without asking; otherwise the points to spend in the shared counter now. */
  take(key: string, now: number): number {
    if (this.allowance === 0) return 1;
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.ends <= now) {
      window = { ends: now + this.windowMs, pending: 0, shared: false };
      this.windows.set(key, window);
    }
    if (!window.shared && window.pending < this.allowance) {
      window.pending++;
      return 0;
    }
    window.shared = true;
    const points = window.pending + 1;
    window.pending = 0;
    return points;
  }

  /** Drops finished windows, at most once a window: the map holds the keys active lately. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, window] of this.windows) if (window.ends <= now) this.windows.delete(key);
  }
}
