/**
 * Preloaded into every measured server process, the project's and the baseline's alike
 * (`NODE_OPTIONS=--require .../probe.js`, only when BENCH_PROBE_DIR is set). On SIGWINCH it reads
 * `<dir>/<pid>.cmd` ("gc", "stat" or "snapshot"), runs a full garbage collection for "gc" (and a
 * heap snapshot into `<dir>/<pid>.heapsnapshot` for "snapshot"), and writes
 * `<dir>/<pid>.json` with memory, event-loop delay and utilization since the previous signal.
 * So heap-per-connection figures are taken after a full GC in both, and the event-loop figures
 * show which process saturated. It also counts the garbage collections since the previous signal:
 * scavenges and major collections (count, pause), and how much the old generation grew between
 * collections (what the scavenges promoted, and anything allocated there directly), which is what
 * brings the next major collection nearer. SIGWINCH because its default action is to do nothing,
 * and Nest's enableShutdownHooks() treats SIGUSR2 (and most others) as a shutdown request. Nothing
 * runs until a signal arrives, apart from the delay monitor's 10 ms timer and the count after each
 * collection. With BENCH_PROMOTED_DIR (`--promoted`) each signal also ends a sampling heap profile
 * of what survived the scavenges since the previous one (PromotedSampler, below).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import {
  constants as perfConstants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

// --perf (bench/lib/perf-record.ts): a flushed function's code address, reused later, would still
// carry that function's name in /tmp/perf-<pid>.map.
if (process.env.BENCH_PERF_MAP) setFlagsFromString('--no-flush-bytecode');

/** A kind of collection since the previous report: how many, and their pauses. */
interface Pauses {
  count: number;
  pauseMs: number;
  maxPauseMs: number;
}

/**
 * Garbage collections as V8 reports them (a `gc` performance entry after each). The old
 * generation's size is read at each entry: its increases between two readings are what was
 * promoted into it (or allocated there directly); its decreases are major collections.
 */
class GcCounts {
  private minor = GcCounts.none();
  private major = GcCounts.none();
  private oldGrowthBytes = 0;
  private lastOld = GcCounts.oldBytes();

  constructor() {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
        const into = kind === perfConstants.NODE_PERFORMANCE_GC_MINOR ? this.minor : this.major;
        into.count++;
        into.pauseMs += entry.duration;
        into.maxPauseMs = Math.max(into.maxPauseMs, entry.duration);
      }
      const old = GcCounts.oldBytes();
      if (old > this.lastOld) this.oldGrowthBytes += old - this.lastOld;
      this.lastOld = old;
    }).observe({ entryTypes: ['gc'] });
  }

  /** The counts since the previous call. */
  take(): { minor: Pauses; major: Pauses; oldGrowthBytes: number } {
    const out = { minor: this.minor, major: this.major, oldGrowthBytes: this.oldGrowthBytes };
    this.minor = GcCounts.none();
    this.major = GcCounts.none();
    this.oldGrowthBytes = 0;
    return out;
  }

  private static none(): Pauses {
    return { count: 0, pauseMs: 0, maxPauseMs: 0 };
  }

  private static oldBytes(): number {
    return getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;
  }
}

/**
 * `--promoted`: a sampling heap profile of only what survives the scavenges (objects a scavenge
 * frees drop out of the profile; those a major collection frees stay), one file per window between
 * two probe signals, named `<pid>-<from ms>-<to ms>.heapprofile`. What it holds was promoted into
 * the old generation, or is still alive: bench/promoted-summary.ts says where it was allocated.
 * One sample per 32 KiB: a finer interval slowed a gateway enough to change what it kept alive.
 */
class PromotedSampler {
  private session: Session | undefined;
  private from = 0;

  constructor(private readonly dir: string) {}

  /**
   * Writes the window that ends now, and starts the next. Sampling starts at the first signal, so
   * the processes that are never signalled (auth, media) are never slowed by it.
   */
  take(): void {
    if (!this.session) {
      this.session = new Session();
      this.session.connect();
      this.session.post('HeapProfiler.enable');
      this.from = Date.now();
      this.start();
      return;
    }
    const to = Date.now();
    const file = join(this.dir, `${process.pid}-${this.from}-${to}.heapprofile`);
    this.from = to;
    // A same-thread inspector session answers synchronously.
    this.session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) writeFileSync(file, JSON.stringify(result.profile));
    });
    this.start();
  }

  private start(): void {
    this.session?.post('HeapProfiler.startSampling', {
      samplingInterval: 32 * 1024,
      includeObjectsCollectedByMinorGC: false,
      includeObjectsCollectedByMajorGC: true,
    } as { samplingInterval: number });
  }
}

const promotedDir = process.env.BENCH_PROMOTED_DIR;
const promoted = promotedDir ? new PromotedSampler(promotedDir) : undefined;

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  const gcs = new GcCounts();
  process.on('SIGWINCH', () => {
    let cmd = 'stat';
    try {
      cmd = readFileSync(join(dir, `${process.pid}.cmd`), 'utf8').trim();
    } catch {
      /* stat */
    }
    if (cmd === 'gc' || cmd === 'snapshot') {
      gc();
      gc();
    }
    // A heap snapshot (after GC) for bench/heap-summary.ts; blocks the process for seconds.
    if (cmd === 'snapshot') writeHeapSnapshot(join(dir, `${process.pid}.heapsnapshot`));
    const now = performance.eventLoopUtilization();
    const ms = (ns: number) => ns / 1e6;
    const out = {
      pid: process.pid,
      at: Date.now(),
      cmd,
      memory: process.memoryUsage(),
      eventLoopDelayMs: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
      },
      eventLoopUtilization: performance.eventLoopUtilization(now, elu).utilization,
      gc: gcs.take(),
    };
    elu = now;
    delay.reset();
    promoted?.take();
    try {
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(out));
    } catch {
      /* the orchestrator is gone */
    }
  });
}

const profDir = process.env.BENCH_CPU_PROF_DIR;
if (profDir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // A same-thread inspector session answers synchronously, so this works inside 'exit'.
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(profDir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  // Nest re-raises SIGTERM after its graceful shutdown, which ends the process without 'exit':
  // write at the first SIGTERM and step aside, so the re-raised one still ends the process.
  const onTerm = () => {
    process.removeListener('SIGTERM', onTerm);
    write();
  };
  process.on('SIGTERM', onTerm);
  process.once('exit', write);
}
