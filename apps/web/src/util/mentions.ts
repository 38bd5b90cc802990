/**
 * `@username`, `@channel` and `@here` in message text: found for highlighting (the server parses
 * them too, and its `message.mentions` says whom a message really mentions) and completed in the
 * composer. Pure functions; the Markdown renderer applies `splitMentions` outside code only.
 */

/** A username as the contract allows it (letters, digits, `_`, `.`, `-`; 3–32). */
const NAME = '[A-Za-z0-9_.-]{1,32}';
/** `@` at the start or after a character that cannot be part of a word or an email address. */
const MENTION = new RegExp(`(^|[^A-Za-z0-9_.@-])@(${NAME})`, 'g');

export const SPECIAL_MENTIONS = ['channel', 'here'] as const;

export interface TextRun {
  text: string;
  /** The name mentioned (without `@`), for a mention run. */
  mention?: string;
}

/**
 * Splits text into plain runs and mention runs. A trailing `.` or `-` ends a sentence, not a
 * name ("thanks @bob."), so it stays text; `user@example.com` is not a mention.
 */
export function splitMentions(text: string): TextRun[] {
  const out: TextRun[] = [];
  let last = 0;
  MENTION.lastIndex = 0;
  for (let m = MENTION.exec(text); m; m = MENTION.exec(text)) {
    const name = m[2].replace(/[.-]+$/, '');
    if (!name) continue;
    const start = m.index + m[1].length;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: `@${name}`, mention: name });
    last = start + 1 + name.length;
    MENTION.lastIndex = last;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** Whether a mention names the reader: their own name, or everyone when the server says so. */
export function mentionIsMe(
  name: string,
  me: { username: string },
  mentions: { channel: boolean } | undefined,
): boolean {
  const n = name.toLowerCase();
  if (n === 'channel' || n === 'here') return !!mentions?.channel;
  return n === me.username.toLowerCase();
}

// --- composer autocomplete ---

/** The `@word` being typed at the caret, if any: where it starts and what follows the `@`. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,32})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, query: m[2] };
}

export interface MentionOption {
  /** What is inserted after `@`. */
  name: string;
  /** A line under it ("Notify everyone in this channel"). */
  hint?: string;
}

/**
 * Who matches what is typed: members whose name starts with it first, then those containing it,
 * then `@channel` / `@here`; the caller never suggests themself. At most `max`.
 */
export function mentionOptions(
  query: string,
  members: readonly { username: string }[],
  myName: string,
  max = 8,
): MentionOption[] {
  const q = query.toLowerCase();
  const names = members.map((m) => m.username).filter((n) => n.toLowerCase() !== myName.toLowerCase());
  const starts = names.filter((n) => n.toLowerCase().startsWith(q));
  const contains = q
    ? names.filter((n) => !n.toLowerCase().startsWith(q) && n.toLowerCase().includes(q))
    : [];
  const byName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' });
  const special: MentionOption[] = [
    { name: 'channel', hint: 'Notify everyone in this channel' },
    { name: 'here', hint: 'Notify everyone in this channel' },
  ].filter((o) => o.name.startsWith(q));
  return [
    ...starts.sort(byName).map((name) => ({ name })),
    ...contains.sort(byName).map((name) => ({ name })),
    ...special,
  ].slice(0, max);
}

/** The text with the typed `@query` replaced by the full mention and a space; the new caret. */
export function completeMention(
  text: string,
  at: { start: number; query: string },
  name: string,
): { text: string; caret: number } {
  const end = at.start + 1 + at.query.length;
  const rest = text.slice(end);
  const insert = `@${name}${rest.startsWith(' ') ? '' : ' '}`;
  return {
    text: text.slice(0, at.start) + insert + rest,
    caret: at.start + insert.length + (rest.startsWith(' ') ? 1 : 0),
  };
}

/** The highlighted option after ↑/↓ (wrapping), or the first one for a new list. */
export function moveActive(active: number, delta: number, count: number): number {
  if (count <= 0) return -1;
  if (active < 0) return delta > 0 ? 0 : count - 1;
  return (active + delta + count) % count;
}
