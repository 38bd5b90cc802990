import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { intRange, loadEnv } from '@chat/platform';
import { ListenError } from './lib/listen-error';
import { startLocalStack } from './lib/local-stack';
import { stopThenExit } from './lib/stop-deadline';

/** DATA_DIR (default ./data): the embedded database, stored files and generated keys. */
const dataDir = resolve(process.env.DATA_DIR || './data');

/**
 * `npm start`: the whole product on one machine with no external services, at one URL.
 * PORT (default 8080) and DATA_DIR (default ./data) are read here; every other setting is read by
 * the services' own validated config, so DATABASE_URL, REDIS_URL and S3_* switch parts to real servers.
 */
async function main(): Promise<void> {
  const ports = launcherPorts();
  const webRoot = resolve(__dirname, '../web');
  // The services' ports are the launcher's business (0 = any free port), not the services' config.
  const { AUTH_PORT: _a, GATEWAY_PORT: _g, MEDIA_PORT: _m, ...rest } = process.env;
  const env: NodeJS.ProcessEnv = { LOG_PRETTY: 'true', LOG_LEVEL: 'warn', ...rest, DATA_DIR: dataDir };
  const stack = await startLocalStack({
    port: ports.PORT,
    host: process.env.HOST || '127.0.0.1',
    dataDir,
    env,
    webRoot: existsSync(webRoot) ? webRoot : undefined,
    servicePorts: { auth: ports.AUTH_PORT, gateway: ports.GATEWAY_PORT, media: ports.MEDIA_PORT },
    log: (line) => console.log(`[local] ${line}`),
  });
  console.log(`\n  Chat is running at ${stack.url}\n  (data in ${dataDir}; Ctrl+C stops it)\n`);
  stopOn = (signal) => {
    stopThenExit('local', signal, STOP_DEADLINE_MS, () => stack.stop(), stopEmbeddedDatabase);
  };
}

const PORT_VARS = ['PORT', 'AUTH_PORT', 'GATEWAY_PORT', 'MEDIA_PORT'];
/** A port of the launcher's; 0: any free port. */
const portVar = (fallback: number, desc: string) => intRange(0, 65_535)({ default: fallback, desc });

/** PORT and the services' ports, checked before anything starts: a typo is a one-line error. */
function launcherPorts() {
  try {
    return loadEnv(
      {
        PORT: portVar(8080, 'the chat (the front door)'),
        AUTH_PORT: portVar(3001, 'auth, on 127.0.0.1'),
        GATEWAY_PORT: portVar(3002, 'the gateway, on 127.0.0.1'),
        MEDIA_PORT: portVar(3003, 'media, on 127.0.0.1'),
      },
      // An empty variable (PORT=) is unset, as before: not 0, which means any free port.
      Object.fromEntries(PORT_VARS.map((name) => [name, process.env[name] || undefined])),
    );
  } catch (err) {
    throw new LauncherError((err as Error).message);
  }
}

/** A mistake in how the launcher was started: its message is all a person needs, not a stack. */
class LauncherError extends Error {}

/**
 * Within this of SIGINT or SIGTERM the process has exited, whatever is in flight (the services cut
 * hanging requests sooner, see boundHttpClose); under the 10 s promised.
 */
const STOP_DEADLINE_MS = 9_000;

/**
 * When the orderly stop cannot finish (the deadline, a second Ctrl+C, a signal during start-up):
 * asks the embedded PostgreSQL in DATA_DIR/postgres, if one runs, for a fast shutdown, which it
 * completes by itself. It runs in a process group of its own (so a Ctrl+C reaches only us), so
 * nothing else would stop it once we exit.
 */
function stopEmbeddedDatabase(): void {
  const pgData = join(dataDir, 'postgres');
  try {
    const pid = Number(readFileSync(join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (/postgres$/.test(cmd[0] ?? '') && cmd.some((arg) => resolve(arg) === pgData))
      process.kill(pid, 'SIGINT');
  } catch {
    // No embedded database (DATABASE_URL), not started yet, or already gone.
  }
}

/** The stop once the stack runs; a signal during start-up just exits. */
let stopOn: ((signal: NodeJS.Signals) => void) | undefined;
let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping || !stopOn) {
    // A second Ctrl+C, or one before the stack is up: the person wants out now.
    console.log(`[local] ${signal}: exiting now`);
    stopEmbeddedDatabase();
    process.exit(1);
  }
  stopping = true;
  stopOn(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().catch((err: unknown) => {
  if (err instanceof ListenError)
    console.error(
      `[local] ${err.message}.\n[local] ` +
        (err.isAddress
          ? 'HOST is the address the chat listens on (default 127.0.0.1; 0.0.0.0: every address).'
          : 'Stop that process, or choose other ports: PORT (the chat), AUTH_PORT, GATEWAY_PORT, ' +
            'MEDIA_PORT (the services, on 127.0.0.1).'),
    );
  else if (err instanceof LauncherError) console.error(`[local] ${err.message}`);
  else console.error(err);
  process.exit(1);
});
