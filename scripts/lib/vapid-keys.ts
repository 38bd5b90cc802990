import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateVAPIDKeys } from 'web-push';

/**
 * Web Push's VAPID key pair for the local mode: generated once into DATA_DIR/vapid.json (readable
 * by its owner only) and reused, since browsers' subscriptions are bound to the public key and a
 * new pair would silently orphan every one of them. Production sets VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY.
 */
export function localVapidKeys(
  dataDir: string,
  log: (line: string) => void,
): { VAPID_PUBLIC_KEY: string; VAPID_PRIVATE_KEY: string } {
  const file = join(dataDir, 'vapid.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const keys = generateVAPIDKeys();
    // 'wx': two launchers starting at once cannot overwrite each other's pair.
    try {
      writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      log(`Web Push: generated a VAPID key pair in ${file}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const { publicKey, privateKey } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof publicKey !== 'string' || typeof privateKey !== 'string')
    throw new Error(`${file}: no publicKey/privateKey; delete it to generate a new pair`);
  return { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey };
}
