/**
 * What a reconnect wave finds in the gateway's verified-token cache (`VerifiedTokens`,
 * apps/gateway/src/realtime/handshake.ts) at a replica's size: N distinct tokens are remembered,
 * then each is asked for again, as N clients reconnecting at once would. Prints the hits, the heap
 * each entry costs, and what one ES256 verification (what a miss costs instead) takes here.
 *
 * `node --expose-gc dist/bench/bench/token-cache.js [N]` (default 50,000: the capacity model's
 * connections per replica, docs/scaling.md), after `npm run build:server && npm run bench:build`.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { VerifiedTokens } from '../apps/gateway/src/realtime/handshake';

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const n = Number(process.argv[2] ?? 50_000);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Access tokens are ≈ 480 characters; only their digest is kept.
  const tokens = Array.from({ length: n }, () => randomBytes(360).toString('base64url'));
  const cache = new VerifiedTokens();

  gc();
  const before = process.memoryUsage().heapUsed;
  const exp = Math.floor(Date.now() / 1000) + 900;
  for (const token of tokens) cache.set(token, { sub: 'user', exp }, publicKey);
  gc();
  const heapPerEntry = (process.memoryUsage().heapUsed - before) / n;

  let hits = 0;
  const keyOf = () => Promise.resolve(publicKey);
  for (const token of tokens) if (await cache.get(token, keyOf, Date.now())) hits++;

  const payload = randomBytes(360);
  const signature = sign('sha256', payload, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const rounds = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++)
    verify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  const verifyUs = Number(process.hrtime.bigint() - started) / 1000 / rounds;

  console.log(
    JSON.stringify(
      {
        tokens: n,
        hits,
        hitRate: Number((hits / n).toFixed(3)),
        heapBytesPerEntry: Math.round(heapPerEntry),
        es256VerifyMicros: Math.round(verifyUs),
        missCpuSeconds: Number((((n - hits) * verifyUs) / 1e6).toFixed(2)),
      },
      null,
      2,
    ),
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
