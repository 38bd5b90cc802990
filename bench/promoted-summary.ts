/**
 * `node dist/bench/bench/promoted-summary.js <file.heapprofile> [top]`: what survived the
 * scavenges in one window of a `npm run bench -- --promoted` run (bench/probe.ts), by package, by
 * allocating function, and by the innermost of the project's own functions on the allocating stack
 * (so a library's allocation is charged to the project code that asked for it).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { where } from './lib/frames';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** The project's own code, as built: dist/apps/… and dist/libs/… */
const OWN = /\/dist\/(apps|libs)\//;

/** A frame's file, short: from its package's directory, or from dist/. */
function fileOf(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : url || '(native)';
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: promoted-summary <file.heapprofile> [top]');
  const top = Number(topArg ?? 20);
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: SamplingNode };
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byOwnCaller = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  // Depth-first with an explicit stack: allocation stacks can be deeper than the call stack allows.
  const todo: { node: SamplingNode; own: string }[] = [{ node: head, own: '(none of the project)' }];
  while (todo.length > 0) {
    const { node, own: ownAbove } = todo.pop()!;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'}  ${fileOf(f.url)}:${f.lineNumber + 1}`;
    const own = OWN.test(f.url) ? name : ownAbove;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(byPackage, where(f.url), node.selfSize);
      add(byFunction, name, node.selfSize);
      add(byOwnCaller, own, node.selfSize);
    }
    for (const child of node.children) todo.push({ node: child, own });
  }
  const [, from, to] = /-(\d+)-(\d+)\.heapprofile$/.exec(basename(file)) ?? [];
  const window = from
    ? `${new Date(Number(from)).toISOString()} to ${new Date(Number(to)).toISOString()}`
    : '';
  console.log(`${file}: ${(total / 1e6).toFixed(2)} MB sampled as surviving a scavenge ${window}\n`);
  const show = (title: string, m: Map<string, number>) => {
    console.log(title);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1e3).toFixed(0).padStart(7)} KB  ${k}`,
      );
    console.log('');
  };
  show('by package:', byPackage);
  show('by allocating function:', byFunction);
  show("by the innermost of the project's functions on the stack:", byOwnCaller);
}

main();
