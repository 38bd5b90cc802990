import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalStack } from './lib/local-stack';

/**
 * `npm start`: the whole product on one machine with no external services, at one URL.
 * PORT (default 8080) and DATA_DIR (default ./data) are read here; every other setting is read by
 * the services' own validated config, so DATABASE_URL, REDIS_URL and S3_* switch parts to real servers.
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT || 8080);
  const dataDir = resolve(process.env.DATA_DIR || './data');
  const webRoot = resolve(__dirname, '../web');
  // The services' ports are the launcher's business (0 = any free port), not the services' config.
  const { AUTH_PORT, GATEWAY_PORT, MEDIA_PORT, ...rest } = process.env;
  const env: NodeJS.ProcessEnv = { LOG_PRETTY: 'true', LOG_LEVEL: 'warn', ...rest, DATA_DIR: dataDir };
  const stack = await startLocalStack({
    port,
    host: process.env.HOST || '127.0.0.1',
    dataDir,
    env,
    webRoot: existsSync(webRoot) ? webRoot : undefined,
    servicePorts: {
      auth: Number(AUTH_PORT ?? 3001),
      gateway: Number(GATEWAY_PORT ?? 3002),
      media: Number(MEDIA_PORT ?? 3003),
    },
    log: (line) => console.log(`[local] ${line}`),
  });
  console.log(`\n  Chat is running at ${stack.url}\n  (data in ${dataDir}; Ctrl+C stops it)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('[local] stopping…');
    stack.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
