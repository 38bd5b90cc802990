/**
 * Polls `check` every `stepMs` until it is true; resolves with the time it took, or throws
 * `<what>: not within <timeoutMs> ms`. An error thrown by `check` ends the wait with that error.
 * The one polling loop of the tests (the fault suites, the e2e suites and their fixtures).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  stepMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * `waitFor` for a server still coming up: an error thrown by `check` (connection refused, a reply
 * it cannot give yet) means "not yet", and the last one is named if time runs out.
 */
export async function waitForAnswer(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  stepMs = 100,
): Promise<number> {
  let last: Error | undefined;
  const answered = () =>
    check().catch((err: unknown) => {
      last = err as Error;
      return false;
    });
  try {
    return await waitFor(answered, timeoutMs, what, stepMs);
  } catch (err) {
    throw last ? new Error(`${(err as Error).message} (last error: ${last.message})`) : err;
  }
}
