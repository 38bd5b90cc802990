import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ListenError } from './lib/listen-error';
import { startProcessStack } from './lib/process-stack';
import { stopThenExit } from './lib/stop-deadline';

/**
 * `npm run stack -- --gateways 3`: the docker compose topology as local processes against real
 * Postgres (DATABASE_URL) and Redis (REDIS_URL); S3_ENDPOINT unset starts s3rver on loopback.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gateways: { type: 'string', default: '3' },
      port: { type: 'string', default: process.env.PORT || '8080' },
    },
  });
  const gateways = Number(values.gateways);
  const port = Number(values.port);
  if (!Number.isInteger(gateways) || gateways < 1)
    throw new Error(`--gateways ${values.gateways}: want 1 or more`);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port ${values.port}: not a port`);
  const dataDir = resolve(process.env.DATA_DIR || './data/stack');
  const webRoot = resolve(__dirname, '../web');
  const stack = await startProcessStack({
    gateways,
    port,
    dataDir,
    env: {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/chat',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...process.env,
    },
    webRoot: existsSync(webRoot) ? webRoot : undefined,
    log: (line) => console.log(`[stack] ${line}`),
    signal: startup.signal,
  });
  console.log(`\n  Chat (${stack.gateways.length} gateways) is running at ${stack.url}\n`);
  stopOn = (signal) => {
    // The stack reaps its services by 8.5 s (SIGKILL for any past its own deadline); the deadline here
    // is the last resort should something of the launcher's own hang.
    stopThenExit(
      'stack',
      signal,
      STOP_DEADLINE_MS,
      () => stack.stop(),
      () => {
        for (const svc of [stack.auth, stack.media, ...stack.gateways]) svc.kill('SIGKILL');
      },
    );
  };
}

/** Within this of SIGINT or SIGTERM the launcher has exited, its services with it. */
const STOP_DEADLINE_MS = 9_500;

/** Aborted by a signal during start-up: the services started so far are stopped, then we exit. */
const startup = new AbortController();
/** The stop once the stack runs. */
let stopOn: ((signal: NodeJS.Signals) => void) | undefined;
let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    // A second Ctrl+C: the person wants out now.
    console.log(`[stack] ${signal}: exiting now`);
    process.exit(1);
  }
  stopping = true;
  if (stopOn) return stopOn(signal);
  console.log(`[stack] ${signal} during start-up: stopping what has started…`);
  setTimeout(() => process.exit(1), STOP_DEADLINE_MS);
  startup.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().catch((err: unknown) => {
  if (err instanceof ListenError) console.error(`[stack] ${err.message}: stop that process, or pass --port`);
  else console.error(err);
  process.exit(1);
});
