import { spawnSync } from 'node:child_process';
import { isCI } from '../../support/env';

/** Absolute path of `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/**
 * `describe` for suites that need an external binary: runs when it is on PATH; under CI=true a
 * missing binary FAILS the run (CI must install it), elsewhere the suite is skipped with a note.
 */
export function describeWithTool(tool: string, installHint: string, name: string, fn: () => void): void {
  if (which(tool)) {
    describe(name, fn);
  } else if (isCI) {
    describe(name, () => {
      it(`needs ${tool} under CI`, () => {
        throw new Error(`${tool} is not on PATH: CI must install it (${installHint})`);
      });
    });
  } else {
    describe.skip(`${name} (install ${tool} to run: ${installHint})`, fn);
  }
}
