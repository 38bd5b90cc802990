/**
 * Runs `run` every `intervalMs`, counted from the end of the previous run (runs never overlap),
 * the first at a random point of the first interval: replicas started together (a rollout) spread
 * their runs out. A failed run is reported to `onError` and tried again an interval later. The
 * timers do not keep the process alive. `stop()` cancels what is scheduled and waits for a run in
 * progress, so a short batch finishes rather than have its connection cut mid-way.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.schedule(Math.random() * this.intervalMs);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.run().catch(this.onError);
    void this.running.finally(() => {
      this.running = undefined;
      if (!this.stopped) this.schedule(this.intervalMs);
    });
  }
}
