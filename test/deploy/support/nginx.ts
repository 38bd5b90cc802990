import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoPath } from './repo';

/** One nginx directive: `name args...;` or `name args... { block }`. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

const NGINX_DIR = repoPath('deploy', 'nginx');

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (c === '{' || c === '}' || c === ';') tokens.push(text[i++]);
    else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') j++;
        s += text[j++];
      }
      tokens.push(s);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j])) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/**
 * The image's path of an included file, mapped back to the repository: /etc/nginx/snippets/X ->
 * deploy/nginx/snippets/X (the Dockerfile copies that folder there). Other includes (mime.types,
 * conf.d/*.conf of the main file) are nginx's own or the site itself and are not followed.
 */
function includedFile(path: string): string | undefined {
  if (path.startsWith('/etc/nginx/snippets/')) return join(NGINX_DIR, 'snippets', basename(path));
  return undefined;
}

/** Parses a config file of deploy/nginx, following includes of deploy/nginx/snippets. */
export function parseNginx(file: string): Directive[] {
  const tokens = tokenize(readFileSync(join(NGINX_DIR, file), 'utf8'));
  let pos = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length && tokens[pos] !== '}') {
      const words: string[] = [];
      while (pos < tokens.length && tokens[pos] !== ';' && tokens[pos] !== '{') words.push(tokens[pos++]);
      const [name, ...args] = words;
      if (tokens[pos] === '{') {
        pos++;
        out.push({ name, args, block: block() });
        if (tokens[pos++] !== '}') throw new Error(`${file}: unbalanced braces`);
      } else {
        pos++;
        if (name === 'include' && includedFile(args[0])) {
          const inc = includedFile(args[0])!;
          out.push(...parseNginx(inc.slice(NGINX_DIR.length + 1)));
        } else out.push({ name, args });
      }
    }
    return out;
  };
  return block();
}

export function directives(block: Directive[] | undefined, name: string): Directive[] {
  return (block ?? []).filter((d) => d.name === name);
}

/**
 * nginx's location selection for a request path (ngx_http_core_module "location"): an exact `=`
 * match wins; else the longest prefix, which wins at once with `^~`; else the first matching
 * regular expression in file order; else that longest prefix.
 */
export function selectLocation(server: Directive[], path: string): Directive | undefined {
  const locations = directives(server, 'location');
  const exact = locations.find((l) => l.args[0] === '=' && l.args[1] === path);
  if (exact) return exact;
  let best: Directive | undefined;
  for (const l of locations) {
    const [mod, uri] = l.args.length === 2 ? l.args : ['', l.args[0]];
    if ((mod === '' || mod === '^~') && path.startsWith(uri) && (!best || uri.length > prefixOf(best).length))
      best = l;
  }
  if (best && best.args[0] === '^~') return best;
  for (const l of locations) {
    if (l.args[0] === '~' || l.args[0] === '~*') {
      const re = new RegExp(l.args[1], l.args[0] === '~*' ? 'i' : '');
      if (re.test(path)) return l;
    }
  }
  return best;
}

function prefixOf(l: Directive): string {
  return l.args.length === 2 ? l.args[1] : l.args[0];
}

/** The `server` block listening on `port`. */
export function serverOn(conf: Directive[], port: number): Directive[] {
  const s = directives(conf, 'server').find((d) =>
    directives(d.block, 'listen').some((l) => l.args[0] === String(port)),
  );
  if (!s) throw new Error(`no server listening on ${port}`);
  return s.block!;
}

/** Value of the first directive `name` in a block (its first argument), or undefined. */
export function value(block: Directive[] | undefined, name: string): string | undefined {
  return directives(block, name)[0]?.args[0];
}
