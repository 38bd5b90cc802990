import { Periodic } from './periodic';

describe('Periodic', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('runs first within one interval, then an interval after each run ends, never overlapping', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const p = new Periodic(
      1000,
      () => {
        runs++;
        return new Promise<void>((r) => (release = r));
      },
      jest.fn(),
    );
    p.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    // Still running: no second run however long it takes.
    await jest.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(1);
    release();
    await flush();
    await jest.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    release();
    await p.stop();
  });

  it('reports a failed run and tries again an interval later', async () => {
    const onError = jest.fn();
    let runs = 0;
    const p = new Periodic(
      1000,
      () => (++runs === 1 ? Promise.reject(new Error('db down')) : Promise.resolve()),
      onError,
    );
    p.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }));
    await jest.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    await p.stop();
  });

  it('stop() waits for the run in progress and schedules nothing more', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const p = new Periodic(
      1000,
      () => {
        runs++;
        return new Promise<void>((r) => (release = r));
      },
      jest.fn(),
    );
    p.start();
    await jest.advanceTimersByTimeAsync(1000);
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    expect(p.isStopped).toBe(true);
    release();
    await stopping;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
  });
});
