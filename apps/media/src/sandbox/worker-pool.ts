import { Worker } from 'node:worker_threads';

/** The parser ran past its deadline; its worker was terminated. */
export class ParserTimeoutError extends Error {}
/** The parser threw, or its worker died (out of its heap budget, a crash). */
export class ParserFailedError extends Error {}
/** Every worker is busy and the queue is full. */
export class ParserBusyError extends Error {}

export type ParserOutcome = 'ok' | 'failed' | 'timeout' | 'crashed' | 'busy';

export interface WorkerPoolOptions {
  /** For messages and metrics: `sniff`, `thumbnail`. */
  name: string;
  /** The worker entry (a plain .mjs file Node loads itself). */
  script: string;
  workerData: Record<string, unknown>;
  /** Workers at most; they start on demand and stop after `idleMs` without work. */
  size: number;
  /** Jobs that may wait for a worker; past that `run` fails at once with ParserBusyError. */
  queueLimit: number;
  /** Time one job may take, from the moment its worker gets it; then the worker is terminated. */
  timeoutMs: number;
  /** V8 heap (old generation) of each worker, MB: past it the worker dies, not the service. */
  maxHeapMb: number;
  /** An idle worker stops after this long (default 30 s): an idle service holds no parser memory. */
  idleMs?: number;
  onOutcome?: (outcome: ParserOutcome, ms: number) => void;
}

/** A message for a worker and what to transfer (not copy) to it. */
export interface Job {
  message: Record<string, unknown>;
  transfer?: ArrayBuffer[];
}

interface Slot {
  worker: Worker;
  idleTimer?: NodeJS.Timeout;
}

type Waiter = { resolve: (slot: Slot) => void; reject: (err: Error) => void };

/** Time a new worker may take to load its parser (the first import reads many files). */
const START_TIMEOUT_MS = 30_000;
let nextJobId = 1;

/**
 * A small pool of worker threads for parsers of untrusted bytes. Each job runs alone in a worker
 * under a deadline and a heap budget: a parser that loops is terminated and a worker that runs out
 * of heap dies, and either way the job fails and the next one gets a fresh worker. The main thread
 * never parses, so its event loop stays free whatever a file does. Concurrency is bounded by `size`,
 * waiting by `queueLimit`.
 */
export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly waiting: Waiter[] = [];
  /** Workers started and not yet exited (a terminated one counts until it is really gone). */
  private live = 0;
  private readonly workers = new Set<Worker>();
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /**
   * Runs one job: `prepare` is called once a worker is free (so a queued job holds no input bytes
   * yet), and may return null to skip. The worker's answer, or ParserTimeoutError,
   * ParserFailedError, ParserBusyError.
   */
  async run<T>(prepare: () => Promise<Job | null> | Job | null): Promise<T | null> {
    const slot = await this.acquire();
    let job: Job | null;
    try {
      job = await prepare();
    } catch (err) {
      this.release(slot);
      throw err;
    }
    if (!job) {
      this.release(slot);
      return null;
    }
    return this.exec<T>(slot, job);
  }

  /** Stops every worker, busy ones included (their jobs fail); queued and later jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0))
      w.reject(new ParserFailedError(`${this.options.name}: shutting down`));
    for (const s of this.idle.splice(0)) clearTimeout(s.idleTimer);
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  /** For metrics and tests: workers alive, jobs waiting. */
  get stats(): { live: number; idle: number; waiting: number } {
    return { live: this.live, idle: this.idle.length, waiting: this.waiting.length };
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new ParserFailedError(`${this.options.name}: shutting down`));
    const slot = this.idle.pop();
    if (slot) {
      clearTimeout(slot.idleTimer);
      return Promise.resolve(slot);
    }
    if (this.live < this.options.size) return this.spawn();
    if (this.waiting.length >= this.options.queueLimit) {
      this.options.onOutcome?.('busy', 0);
      return Promise.reject(new ParserBusyError(`${this.options.name}: every parser is busy`));
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A worker is free again: to the next waiting job, else idle until `idleMs`. */
  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) return next.resolve(slot);
    if (this.closed) {
      void slot.worker.terminate();
      return;
    }
    slot.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      void slot.worker.terminate();
    }, this.options.idleMs ?? 30_000);
    slot.idleTimer.unref();
    this.idle.push(slot);
  }

  /** A worker is gone: a waiting job gets a new one. */
  private onExit(): void {
    this.live--;
    if (this.closed || !this.waiting.length || this.live >= this.options.size) return;
    const next = this.waiting.shift()!;
    this.spawn().then(next.resolve, next.reject);
  }

  private spawn(): Promise<Slot> {
    this.live++;
    const { name, script, workerData, maxHeapMb } = this.options;
    const worker = new Worker(script, {
      workerData,
      resourceLimits: {
        maxOldGenerationSizeMb: maxHeapMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(maxHeapMb / 4))),
        stackSizeMb: 4,
      },
      // A parser has no business with the service's environment (secrets, URLs).
      env: {},
    });
    worker.unref();
    this.workers.add(worker);
    worker.once('exit', () => {
      this.workers.delete(worker);
      this.onExit();
    });
    // An 'error' nobody listens to would crash the service; the job's own listeners report it.
    worker.on('error', () => undefined);
    return new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('did not start in time')), START_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        void worker.terminate();
        reject(new ParserFailedError(`${name}: worker failed to start: ${err.message}`));
      };
      const onMessage = (msg: { ready?: boolean }) => {
        if (!msg?.ready) return;
        clearTimeout(timer);
        worker.off('error', fail);
        worker.off('exit', onEarlyExit);
        resolve({ worker });
      };
      const onEarlyExit = (code: number) => fail(new Error(`exited with code ${code}`));
      worker.on('message', onMessage);
      worker.once('error', fail);
      worker.once('exit', onEarlyExit);
    });
  }

  private exec<T>(slot: Slot, job: Job): Promise<T> {
    const { name, timeoutMs, onOutcome } = this.options;
    const { worker } = slot;
    const id = nextJobId++;
    const started = Date.now();
    return new Promise<T>((resolve, reject) => {
      const done = (outcome: ParserOutcome, err: Error | null, value?: T, keep = false) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        onOutcome?.(outcome, Date.now() - started);
        if (keep) this.release(slot);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onMessage = (msg: { id: number; ok: boolean; value?: T; error?: string }) => {
        if (msg?.id !== id) return;
        if (msg.ok) done('ok', null, msg.value, true);
        else done('failed', new ParserFailedError(`${name}: ${msg.error}`), undefined, true);
      };
      const onError = (err: Error) => {
        void worker.terminate();
        done('crashed', new ParserFailedError(`${name}: worker died: ${err.message}`));
      };
      const onExit = (code: number) =>
        done('crashed', new ParserFailedError(`${name}: worker exited (${code})`));
      const timer = setTimeout(() => {
        // The worker is stopped where it is (a JS loop at once, native work when it returns) and
        // replaced when the next job needs one.
        void worker.terminate();
        done('timeout', new ParserTimeoutError(`${name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ id, job: job.message }, job.transfer ?? []);
    });
  }
}
