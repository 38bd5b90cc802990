import { turnBatches } from './turn-batches';

/** A later turn of the event loop, the way a socket's data arrives in an I/O callback of its own. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('turnBatches', () => {
  it('loads keys of separate turns in one call while the previous call runs', async () => {
    const calls: string[][] = [];
    let finishFirst!: () => void;
    const firstDone = new Promise<void>((resolve) => (finishFirst = resolve));
    const loader = turnBatches<string, string>(
      async (keys) => {
        calls.push([...keys]);
        if (calls.length === 1) await firstDone;
        return keys.map((k) => k.toUpperCase());
      },
      { maxBatchSize: 100 },
    );
    const first = loader.load('a');
    await nextTurn();
    expect(calls).toEqual([['a']]);
    // Three handshakes, each in a turn of its own, while the first statement runs.
    const later: Promise<string>[] = [];
    for (const key of ['b', 'c', 'd']) {
      later.push(loader.load(key));
      await nextTurn();
    }
    expect(calls).toEqual([['a']]);
    finishFirst();
    expect(await first).toBe('A');
    expect(await Promise.all(later)).toEqual(['B', 'C', 'D']);
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('sends a key on a quiet loader at the end of its turn, with the keys of that turn', async () => {
    const calls: string[][] = [];
    const loader = turnBatches<string, number>(
      (keys) => {
        calls.push([...keys]);
        return Promise.resolve(keys.map((k) => k.length));
      },
      { maxBatchSize: 2 },
    );
    // Same turn: one call per maxBatchSize keys.
    const got = await Promise.all(['x', 'yy', 'zzz'].map((k) => loader.load(k)));
    expect(got).toEqual([1, 2, 3]);
    expect(calls).toEqual([['x', 'yy'], ['zzz']]);
  });

  it('keeps loading after a failed call, and fails only that call’s keys', async () => {
    let fail = true;
    const loader = turnBatches<string, string>(
      (keys) => (fail ? Promise.reject(new Error('database down')) : Promise.resolve([...keys])),
      { maxBatchSize: 10, maxInFlight: 1 },
    );
    await expect(loader.load('a')).rejects.toThrow('database down');
    fail = false;
    await expect(loader.load('b')).resolves.toBe('b');
  });
});
