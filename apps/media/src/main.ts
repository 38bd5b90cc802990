import { stopOnSignals } from '@chat/platform';
import { loadMediaConfig } from './config';
import { createMediaApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadMediaConfig();
  const app = await createMediaApp(config);
  // Wired before listening: a signal during start-up stops the app too, within the same deadline.
  stopOnSignals(app);
  await app.listen(config.port, '0.0.0.0');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
