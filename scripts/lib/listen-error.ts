/** Why a listen failed, in a person's words, by its error code. */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'another process is listening on it',
  EACCES: 'this user may not listen on it',
  EADDRNOTAVAIL: 'this machine has no such address',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'its name could not be looked up now',
};

/**
 * A port the launcher could not listen on: what a person running `npm start` next to another
 * program sees, so the message names the address, the part and the reason, not a stack.
 */
export class ListenError extends Error {
  /** EADDRINUSE, EACCES (the port), EADDRNOTAVAIL, ENOTFOUND (the address), … */
  readonly code: string;

  constructor(
    readonly host: string,
    readonly port: number,
    what: string,
    cause: NodeJS.ErrnoException,
  ) {
    const why = REASONS[cause.code ?? ''] ?? cause.message;
    super(`${what} cannot listen on ${host}:${port}: ${why} (${cause.code ?? 'error'})`, { cause });
    this.name = 'ListenError';
    this.code = cause.code ?? '';
  }

  /** Whether the address, rather than the port, is what is wrong. */
  get isAddress(): boolean {
    return this.code === 'EADDRNOTAVAIL' || this.code === 'ENOTFOUND' || this.code === 'EAI_AGAIN';
  }

  /** Rethrows a listen's failure (or its host's lookup) as a ListenError; `what` names the part. */
  static wrap(host: string, port: number, what: string): (err: unknown) => never {
    return (err: unknown) => {
      const e = err as NodeJS.ErrnoException;
      if (typeof e?.code === 'string' && (e.syscall === 'listen' || e.syscall === 'getaddrinfo'))
        throw new ListenError(host, port, what, e);
      throw err;
    };
  }
}
