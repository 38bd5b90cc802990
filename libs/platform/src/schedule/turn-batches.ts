import DataLoader from 'dataloader';

export interface TurnBatchOptions {
  /** Keys in one call of `load` at most; more keys make several calls. */
  maxBatchSize: number;
  /** Calls of `load` running at once at most (default 1); later keys wait and gather. */
  maxInFlight?: number;
}

/**
 * Loads keys in batches that grow with the load, the way a group commit does. A batch is sent at
 * the end of the event-loop turn its first key came in (`setImmediate`: after the poll phase has
 * handled every readable socket), unless `maxInFlight` batches are already running; then it keeps
 * gathering keys until one of them is done. On a quiet server a key waits for nothing; under a
 * connect wave, whose handshakes each arrive in an I/O callback of their own, one statement serves
 * every handshake that arrived while the previous one ran, instead of one statement each (which is
 * what DataLoader's own per-tick schedule amounted to). Nothing is cached: callers decide what may
 * be reused.
 */
export function turnBatches<K, V, C = K>(
  load: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options: TurnBatchOptions,
): DataLoader<K, V, C> {
  const maxInFlight = options.maxInFlight ?? 1;
  /** Batches scheduled or running. */
  let busy = 0;
  const waiting: (() => void)[] = [];
  const start = (dispatch: () => void) => {
    busy++;
    setImmediate(dispatch);
  };
  return new DataLoader<K, V, C>(
    async (keys) => {
      try {
        return await load(keys);
      } finally {
        busy--;
        const next = waiting.shift();
        if (next) start(next);
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatchSize,
      batchScheduleFn: (dispatch) => (busy < maxInFlight ? start(dispatch) : waiting.push(dispatch)),
    },
  );
}
