/**
 * Preloaded into every measured server process, the project's and the baseline's alike
 * (`NODE_OPTIONS=--require .../probe.js`, only when BENCH_PROBE_DIR is set). On SIGWINCH it reads
 * `<dir>/<pid>.cmd` ("gc", "stat" or "snapshot"), runs a full garbage collection for "gc" (and a
 * heap snapshot into `<dir>/<pid>.heapsnapshot` for "snapshot"), and writes
 * `<dir>/<pid>.json` with memory, event-loop delay and utilization since the previous signal.
 * So heap-per-connection figures are taken after a full GC in both, and the event-loop figures
 * show which process saturated. SIGWINCH because its default action is to do nothing, and Nest's
 * enableShutdownHooks() treats SIGUSR2 (and most others) as a shutdown request. Nothing runs until a signal arrives, apart from the delay
 * monitor's 10 ms timer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

// --perf (bench/lib/perf-record.ts): a flushed function's code address, reused later, would still
// carry that function's name in /tmp/perf-<pid>.map.
if (process.env.BENCH_PERF_MAP) setFlagsFromString('--no-flush-bytecode');

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
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
    };
    elu = now;
    delay.reset();
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
