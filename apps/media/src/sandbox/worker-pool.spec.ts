import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ParserBusyError,
  ParserFailedError,
  ParserTimeoutError,
  WorkerPool,
  type WorkerPoolOptions,
} from './worker-pool';

/** A worker that does what each job says: answer, spin forever, eat its heap, throw or exit. */
const FIXTURE = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', async ({ id, job }) => {
  if (job.do === 'spin') for (;;);
  if (job.do === 'eat') { const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random())); }
  if (job.do === 'exit') process.exit(3);
  if (job.do === 'throw') return parentPort.postMessage({ id, ok: false, error: 'bad input' });
  if (job.do === 'wait') await new Promise((r) => setTimeout(r, job.ms));
  parentPort.postMessage({ id, ok: true, value: job.echo });
});
parentPort.postMessage({ ready: true });
`;

describe('WorkerPool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-pool-'));
  const script = join(dir, 'worker.mjs');
  writeFileSync(script, FIXTURE);
  const pools: WorkerPool[] = [];
  const outcomes: string[] = [];
  const pool = (opts: Partial<WorkerPoolOptions> = {}) => {
    const p = new WorkerPool({
      name: 'test',
      script,
      workerData: {},
      size: 1,
      queueLimit: 10,
      timeoutMs: 2000,
      maxHeapMb: 32,
      onOutcome: (o) => outcomes.push(o),
      ...opts,
    });
    pools.push(p);
    return p;
  };
  const job = (message: Record<string, unknown>) => () => ({ message });

  afterAll(() => Promise.all(pools.map((p) => p.close())));
  beforeEach(() => (outcomes.length = 0));

  it('terminates a job past its deadline and serves the next one with a new worker', async () => {
    const p = pool({ timeoutMs: 200 });
    const started = Date.now();
    await expect(p.run(job({ do: 'spin' }))).rejects.toBeInstanceOf(ParserTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await p.run(job({ echo: 'after' }))).toBe('after');
    expect(outcomes).toEqual(['timeout', 'ok']);
  });

  it('lets a worker die when it runs out of its heap budget, not the process', async () => {
    const p = pool({ maxHeapMb: 16, timeoutMs: 20_000 });
    const heapBefore = process.memoryUsage().heapUsed;
    await expect(p.run(job({ do: 'eat' }))).rejects.toBeInstanceOf(ParserFailedError);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await p.run(job({ echo: 1 }))).toBe(1);
    expect(outcomes).toEqual(['crashed', 'ok']);
  });

  it('reports a worker that exits or a parser that throws, and carries on', async () => {
    const p = pool();
    await expect(p.run(job({ do: 'exit' }))).rejects.toThrow(/exited \(3\)/);
    await expect(p.run(job({ do: 'throw' }))).rejects.toThrow(/bad input/);
    expect(await p.run(job({ echo: 'ok' }))).toBe('ok');
    expect(outcomes).toEqual(['crashed', 'failed', 'ok']);
  });

  it('runs `size` jobs at once, queues up to `queueLimit`, refuses the rest at once', async () => {
    const p = pool({ size: 2, queueLimit: 3 });
    const started = Date.now();
    const running = Array.from({ length: 5 }, (_, i) => p.run(job({ do: 'wait', ms: 200, echo: i })));
    await expect(p.run(job({ echo: 'one too many' }))).rejects.toBeInstanceOf(ParserBusyError);
    expect(await Promise.all(running)).toEqual([0, 1, 2, 3, 4]);
    // Two at a time: three rounds of 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(p.stats.live).toBeLessThanOrEqual(2);
  });

  it('prepares a job only once a worker is free, and may skip it', async () => {
    const p = pool();
    let prepared = 0;
    const first = p.run(job({ do: 'wait', ms: 150, echo: 'a' }));
    const second = p.run(() => {
      prepared++;
      return null;
    });
    expect(prepared).toBe(0);
    expect(await first).toBe('a');
    expect(await second).toBeNull();
    expect(prepared).toBe(1);
  });

  it('stops every worker when closed, a spinning one included, and fails queued and later jobs', async () => {
    const p = pool();
    const busy = expect(p.run(job({ do: 'spin' }))).rejects.toBeInstanceOf(ParserFailedError);
    const queued = expect(p.run(job({ echo: 'y' }))).rejects.toBeInstanceOf(ParserFailedError);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await p.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await busy;
    await queued;
    await expect(p.run(job({ echo: 'z' }))).rejects.toBeInstanceOf(ParserFailedError);
    expect(p.stats.live).toBe(0);
  });

  it('fails a job whose worker cannot start, without retrying in a loop', async () => {
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, `import 'no-such-package-here';`);
    const p = pool({ script: broken });
    await expect(p.run(job({ echo: 1 }))).rejects.toThrow(/failed to start/);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.stats.live).toBe(0);
  });
});
