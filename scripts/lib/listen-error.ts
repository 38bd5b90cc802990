/**
 * A port the launcher could not listen on: what a person running `npm start` next to another
 * program sees, so the message names the address, the part and the reason, not a stack.
 */
export class ListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    what: string,
    cause: NodeJS.ErrnoException,
  ) {
    const why =
      cause.code === 'EADDRINUSE'
        ? 'another process is listening on it'
        : cause.code === 'EACCES'
          ? 'this user may not listen on it'
          : cause.message;
    super(`${what} cannot listen on ${host}:${port}: ${why} (${cause.code ?? 'error'})`, { cause });
    this.name = 'ListenError';
  }

  /** Rethrows a listen's failure as a ListenError; `what` names the part ("the front door"). */
  static wrap(host: string, port: number, what: string): (err: unknown) => never {
    return (err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      if (typeof e?.code === 'string' && e.syscall === 'listen') throw new ListenError(host, port, what, e);
      throw err;
    };
  }
}
