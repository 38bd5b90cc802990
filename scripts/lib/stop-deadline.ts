/**
 * A launcher's orderly stop: `stop()`, then exit 0 (1 if it failed). Should it not finish within
 * `deadlineMs`, `onDeadline` reaps what it can and the process exits 1 anyway, so a signal always
 * ends the launcher in bounded time.
 */
export function stopThenExit(
  label: string,
  signal: NodeJS.Signals,
  deadlineMs: number,
  stop: () => Promise<void>,
  onDeadline: () => void,
): void {
  console.log(`[${label}] ${signal}: stopping…`);
  const deadline = setTimeout(() => {
    console.error(`[${label}] not stopped ${deadlineMs} ms after ${signal}: exiting anyway`);
    onDeadline();
    process.exit(1);
  }, deadlineMs);
  stop().then(
    () => {
      clearTimeout(deadline);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
