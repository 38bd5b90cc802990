import { startTracing } from '@chat/platform/observability/tracing';
import { loadAuthConfig } from './config';

async function main(): Promise<void> {
  const config = loadAuthConfig();
  // Before the app's modules load: the instrumentations patch them as they are required. Off by
  // default (TRACING_ENABLED), in which case nothing of OpenTelemetry is even loaded.
  const tracing = await startTracing('auth', config.tracing);
  const { stopOnSignals } = await import('@chat/platform');
  const { createAuthApp } = await import('./bootstrap');
  const app = await createAuthApp(config);
  // Wired before listening: a signal during start-up stops the app too, within the same deadline.
  stopOnSignals(app, undefined, async () => tracing?.shutdown());
  await app.listen(config.port, '0.0.0.0');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
