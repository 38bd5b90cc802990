import type { TestGlobals } from './global-setup';
import { dropDatabase } from './support/database';

export default async function globalTeardown(): Promise<void> {
  const globals = (globalThis as { __chatTest?: TestGlobals }).__chatTest;
  if (!globals) return;
  if (globals.ownsDatabase && globals.databaseUrl)
    await dropDatabase(globals.databaseUrl).catch(() => undefined);
  for (const s of globals.stoppers.reverse()) await s.stop().catch(() => undefined);
}
