import type { Response } from 'express';

/** Thrown into the export's loop when the client went away: the work stops, nothing is logged. */
export class ExportAborted extends Error {
  constructor() {
    super('the client disconnected');
    this.name = 'ExportAborted';
  }
}

/**
 * Where an export writes: an HTTP response, with backpressure (a write waits for `drain` when the
 * socket's buffer is full, so a slow client slows the export instead of filling memory) and a
 * stop when the client disconnects.
 */
export class ResponseSink {
  private closed = false;

  constructor(private readonly res: Response) {
    res.once('close', () => {
      this.closed = true;
    });
  }

  /** The client is gone (or the response ended). */
  get aborted(): boolean {
    return this.closed || this.res.destroyed;
  }

  async write(chunk: string): Promise<void> {
    if (this.aborted) throw new ExportAborted();
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    if (this.aborted) throw new ExportAborted();
  }
}

/** The writes an export makes: anything with `write` and `aborted` (a response, or a test's buffer). */
export type ExportSink = Pick<ResponseSink, 'write' | 'aborted'>;
