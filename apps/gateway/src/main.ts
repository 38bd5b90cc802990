import { STOP_DEADLINE_MS, stopOnSignals } from '@chat/platform';
import { loadGatewayConfig } from './config';
import { createGatewayApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await createGatewayApp(config);
  // Wired before listening: a signal during start-up stops the app too, within the same deadline.
  // The drain runs inside the deadline, with the usual margin for closing connections after it.
  stopOnSignals(app, Math.max(STOP_DEADLINE_MS, config.shutdownGraceMs + STOP_DEADLINE_MS - 5_000));
  await app.listen(config.port, '0.0.0.0');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
