import { LIMITS } from '@chat/contracts';

/** What one line the user entered asks for. */
export type Command =
  | { kind: 'send'; body: string }
  | { kind: 'channels' }
  | { kind: 'list'; filter: string }
  | { kind: 'join'; name: string }
  | { kind: 'switch'; name: string }
  | { kind: 'dm'; username: string }
  | { kind: 'who' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'none' }
  /** A line we refuse, with the reason to show. */
  | { kind: 'invalid'; message: string };

const ALIASES: Record<string, string> = {
  channels: 'channels',
  list: 'list',
  join: 'join',
  j: 'join',
  switch: 'switch',
  c: 'switch',
  dm: 'dm',
  msg: 'dm',
  who: 'who',
  help: 'help',
  '?': 'help',
  quit: 'quit',
  exit: 'quit',
  q: 'quit',
};

/** `#general` and `general` name the same channel; `@bob` is bob. */
export function stripSigil(name: string, sigils = '#'): string {
  return sigils.includes(name[0] ?? '') ? name.slice(1) : name;
}

export function parseCommand(line: string): Command {
  const text = line.replace(/\r?\n$/, '');
  if (text.trim() === '') return { kind: 'none' };
  if (!text.startsWith('/')) return send(text);
  // `//path` sends "/path": the way to start a message with a slash.
  if (text.startsWith('//')) return send(text.slice(1));

  const match = /^\/(\S+)\s*(.*)$/s.exec(text.trim());
  const word = (match?.[1] ?? '').toLowerCase();
  const rest = (match?.[2] ?? '').trim();
  const name = ALIASES[word];
  const one = (what: string): { error: string; value?: undefined } | { error?: undefined; value: string } => {
    if (!rest) return { error: `/${word} needs ${what}.` };
    if (/\s/.test(rest)) return { error: `/${word} takes one ${what}, not "${rest}".` };
    return { value: rest };
  };
  switch (name) {
    case 'channels':
    case 'who':
    case 'help':
    case 'quit':
      return rest ? { kind: 'invalid', message: `/${word} takes no arguments.` } : { kind: name };
    case 'list':
      return { kind: 'list', filter: stripSigil(rest) };
    case 'join':
      // Channel names may contain spaces: the whole rest is the name.
      if (!rest) return { kind: 'invalid', message: `/${word} needs a channel name.` };
      return { kind: 'join', name: stripSigil(rest) };
    case 'switch':
      if (!rest) return { kind: 'invalid', message: `/${word} needs a channel name (or @user for a DM).` };
      return { kind: 'switch', name: rest };
    case 'dm': {
      const r = one('username');
      if (r.error !== undefined) return { kind: 'invalid', message: r.error };
      return { kind: 'dm', username: stripSigil(r.value, '@') };
    }
    default:
      return { kind: 'invalid', message: `Unknown command /${word.slice(0, 32)}. Type /help for the list.` };
  }
}

function send(body: string): Command {
  const trimmed = body.trim();
  if (trimmed.length > LIMITS.messageBodyMax) {
    return {
      kind: 'invalid',
      message: `Message too long: ${trimmed.length} characters, at most ${LIMITS.messageBodyMax}.`,
    };
  }
  return { kind: 'send', body: trimmed };
}
