/**
 * `node dist/bench/bench/heap-summary.js <a.heapsnapshot> <b.heapsnapshot> <connections>`: what the
 * heap holds per connection: retained-by-nobody accounting is not attempted; it sums self sizes by
 * constructor in each snapshot (taken by `npm run bench -- --heap-snapshots` at 0 and at N idle
 * connections) and prints the difference divided by N, largest first.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]];
    const key =
      type === 'object' || type === 'closure' ? `${type} ${s.strings[s.nodes[i + iName]]}` : `(${type})`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

function main(): void {
  const [a, b, n, top] = process.argv.slice(2);
  if (!a || !b || !n)
    throw new Error('usage: heap-summary <at-0.heapsnapshot> <at-N.heapsnapshot> <N> [top]');
  const before = byConstructor(a);
  const after = byConstructor(b);
  const N = Number(n);
  const rows = [...after].map(([k, v]) => {
    const o = before.get(k) ?? { count: 0, bytes: 0 };
    return { k, count: (v.count - o.count) / N, bytes: (v.bytes - o.bytes) / N };
  });
  const total = rows.reduce((x, r) => x + r.bytes, 0);
  console.log(`heap growth per connection: ${(total / 1024).toFixed(2)} KB (self sizes)\n`);
  console.log('   bytes/conn  objects/conn  constructor');
  for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, Number(top ?? 30)))
    console.log(`${r.bytes.toFixed(0).padStart(13)}  ${r.count.toFixed(2).padStart(12)}  ${r.k}`);
}

main();
