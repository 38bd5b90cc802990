import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';

/**
 * A service stops within this of SIGTERM or SIGINT, whatever is in flight: past it the process
 * exits anyway. Under the 10 s the operations promise (issue 13), with room for a launcher above it
 * (`npm run stack`) to reap what did not.
 * The gateway's drain (SHUTDOWN_GRACE_MS, default 5 s) runs inside it; a gateway configured with a
 * longer drain gets a deadline that long plus the same 3 s margin.
 */
export const STOP_DEADLINE_MS = 8_000;

/** Once a server stops listening, requests in flight get this long before their connections are cut. */
export const REQUEST_GRACE_MS = 2_000;

/**
 * Makes `server.close()` finish: it closes idle keep-alive connections at once and as they go idle
 * (Node only closes those idle at the moment of the call), and cuts the connections still busy after
 * `graceMs` (an upload whose body never ends, a client that reads slowly), which would otherwise
 * hold close() for as long as the client likes.
 */
export function boundHttpClose(server: Server, graceMs = REQUEST_GRACE_MS): void {
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    close(callback);
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    idle.unref();
    cut.unref();
    server.once('close', () => {
      clearInterval(idle);
      clearTimeout(cut);
    });
    return server;
  };
}

/**
 * A service process's stop: SIGTERM or SIGINT closes the app (the gateway drains, connections
 * close, clients quit), then exits 0. Past `deadlineMs` it exits 1 whatever is still running. One
 * owner for the signals: the local launcher, which runs every service in one process, does not call
 * this and stops the apps itself.
 */
export function stopOnSignals(
  app: INestApplication,
  deadlineMs = STOP_DEADLINE_MS,
  /** Runs after the app closed, within the deadline (flushing buffered traces). */
  afterClose: () => Promise<void> = async () => {},
): void {
  const logger = new Logger('Stop');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A repeat changes nothing: Ctrl+C in `npm run stack` reaches a service from the terminal and
    // then from the launcher, and the deadline already bounds the stop.
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    const deadline = setTimeout(() => {
      logger.error(`not stopped ${deadlineMs} ms after ${signal}: exiting anyway`);
      process.exit(1);
    }, deadlineMs);
    app
      .close()
      .then(afterClose)
      .then(
        () => {
          clearTimeout(deadline);
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
