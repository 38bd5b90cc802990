/**
 * `--perf`: Linux `perf record` of a system's server processes, for bench/perf-summary.ts.
 *
 * Why not only `--profile`: V8's sampler is a thread of the process it samples. Pinned to the
 * server core with the process it watches, it is starved while the core is saturated (a connect
 * wave), and the gaps show up as time of whatever ran last. `perf` samples from the kernel, on
 * CPU time only (`cpu-clock`: this machine kind has no hardware counters), so a saturated, pinned
 * core is profiled as it runs. The servers then start with `--perf-basic-prof` (V8 writes
 * /tmp/perf-<pid>.map, naming its JIT code) and `--interpreted-frames-native-stack` (a function
 * still in the interpreter gets a frame of its own instead of the interpreter's).
 *
 * The servers a system starts with are recorded; gateways started later in its run (the `notify`
 * scenario restarts them) are not.
 *
 * Timestamps are CLOCK_MONOTONIC (`-k mono`), the clock of `process.hrtime`, so the run's log
 * lines (`perfMarks` in the JSON) bound a window of the recording.
 */
import { spawn, spawnSync } from 'node:child_process';

/** The V8 flags a server needs for its JIT frames to be named in a recording (NODE_OPTIONS). */
export const PERF_NODE_OPTIONS = '--perf-basic-prof --interpreted-frames-native-stack';

/** Whether `perf record` works here (installed, and allowed to sample processes). */
export function perfAvailable(): string | null {
  const probe = spawnSync('perf', ['record', '-e', 'cpu-clock', '-q', '-o', '/dev/null', '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return `perf not found (${probe.error.message}); install Debian's linux-perf`;
  if (probe.status !== 0) return `perf record failed: ${(probe.stderr || '').trim().split('\n')[0]}`;
  return null;
}

/** The CLOCK_MONOTONIC time in seconds, as `perf script` prints a sample's. */
export function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Records `pids` (call graphs, 999 samples per second of CPU) into `file` until the returned
 * function is called; it resolves once perf has written the file.
 */
export function startPerfRecord(pids: number[], file: string): () => Promise<void> {
  const child = spawn(
    'perf',
    ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-k', 'mono', '-q', '-p', pids.join(','), '-o', file],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  };
}
