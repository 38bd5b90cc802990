import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { readRepoFile, repoPath } from './repo';

export const COMPOSE_FILE = repoPath('docker-compose.yml');
export const COMPOSE_ENV_EXAMPLE = repoPath('deploy', 'compose.env.example');

/** A `KEY=value` env file as docker compose reads it (comments and blank lines skipped). */
export function parseEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${path}: not KEY=value: ${line}`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return env;
}

/** The file without its whole-line comments (which mention ${VAR:?} syntax in prose). */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n');
}

/** Variables used as `${NAME:?...}` / `${NAME?...}`: compose refuses to run without them. */
export function requiredVariables(text: string): string[] {
  return [
    ...new Set([...withoutComments(text).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1])),
  ].sort();
}

/** Every variable the file interpolates. */
export function referencedVariables(text: string): string[] {
  return [
    ...new Set([...withoutComments(text).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])),
  ].sort();
}

/**
 * Compose interpolation (https://compose-spec.io, "Interpolation"): ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, and $$ for a literal $. Applied to every string of
 * the parsed file, as compose does (keys are not interpolated).
 */
export function interpolate<T>(value: T, env: Record<string, string>): T {
  const one = (s: string): string =>
    s.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}]|\}(?!\}))*?))?\}/g,
      (m, name, colon, op, arg) => {
        if (m === '$$') return '$';
        const v = env[name];
        const unset = v === undefined || (colon === ':' && v === '');
        if (op === '-') return unset ? arg : v;
        if (op === '?') {
          if (unset) throw new Error(`required variable ${name} is missing: ${arg}`);
          return v;
        }
        return v ?? '';
      },
    );
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return one(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object')
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  return walk(value) as T;
}

/** docker-compose.yml parsed with YAML merge keys (<<) resolved, as compose reads it. */
export function loadComposeRaw(text = readRepoFile('docker-compose.yml')): any {
  return parse(text, { merge: true });
}

/** docker-compose.yml, merged and interpolated with the given environment (.env). */
export function loadCompose(env: Record<string, string>, text = readRepoFile('docker-compose.yml')): any {
  return interpolate(loadComposeRaw(text), env);
}
