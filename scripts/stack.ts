import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startProcessStack } from './lib/process-stack';

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
  });
  console.log(`\n  Chat (${stack.gateways.length} gateways) is running at ${stack.url}\n`);
  const stop = () => {
    console.log('[stack] stopping…');
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
