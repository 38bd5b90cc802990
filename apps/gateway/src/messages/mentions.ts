import { LIMITS } from '@chat/contracts';

/** What a body mentions, before the names are matched against the channel's members. */
export interface ParsedMentions {
  /**
   * One entry per distinct `@name`, in order of first use: the names it may stand for, longest
   * first, lower-cased (`@bob.` may be "bob." or "bob": trailing `.` and `-` are punctuation unless
   * a member's name ends with them).
   */
  names: string[][];
  /** `@channel` or `@here`. */
  channel: boolean;
}

/**
 * Distinct `@name`s read from one body; later ones are ignored. Bounds the member lookup a message
 * costs (a body of 4,000 characters could otherwise name about 1,000 people).
 */
export const MENTIONED_NAMES_MAX = 64;

const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
/** A character that makes a following `@` part of a word (an email address): letters, digits, `_`. */
const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
const BACKTICK = 96;
const TILDE = 126;

/**
 * The mentions of a message body: `@username`, `@channel`, `@here`, outside inline code spans and
 * fenced code blocks (CommonMark's rules, simplified: blocks first, then spans within the text
 * between them). Pure, and linear in the body's length whatever it holds (backtick runs, `@`
 * floods, unclosed fences): every character is visited a bounded number of times.
 */
export function parseMentions(body: string): ParsedMentions {
  const text = body.length > LIMITS.messageBodyMax ? body.slice(0, LIMITS.messageBodyMax) : body;
  const found = new Map<string, string[]>();
  let channel = false;
  for (const [start, end] of proseRanges(text)) {
    for (const [from, to] of outsideCodeSpans(text, start, end)) {
      for (let i = text.indexOf('@', from); i !== -1 && i < to; i = text.indexOf('@', i + 1)) {
        if (i > 0 && isWordChar(text.charCodeAt(i - 1))) continue;
        let j = i + 1;
        while (j < to && isNameChar(text.charCodeAt(j))) j++;
        // A run longer than any name (plus trailing punctuation) names nobody; skip it whole.
        const candidates = namesOf(text.slice(i + 1, j));
        i = j - 1;
        if (candidates.length === 0) continue;
        if (isBroadcast(candidates)) {
          channel = true;
          continue;
        }
        if (found.size < MENTIONED_NAMES_MAX && !found.has(candidates[0]))
          found.set(candidates[0], candidates);
      }
    }
  }
  return { names: [...found.values()], channel };
}

/** `@channel` / `@here`, possibly followed by punctuation: the stripped name is the keyword. */
function isBroadcast(candidates: string[]): boolean {
  const shortest = candidates[candidates.length - 1];
  return shortest === 'channel' || shortest === 'here';
}

/** The names a run of name characters may stand for, longest first (see ParsedMentions.names). */
function namesOf(run: string): string[] {
  const lower = run.toLowerCase();
  let end = lower.length;
  while (end > 0 && (lower.charCodeAt(end - 1) === 46 || lower.charCodeAt(end - 1) === 45)) end--;
  if (end > LIMITS.usernameMax) return [];
  const names: string[] = [];
  for (let n = Math.min(lower.length, LIMITS.usernameMax); n >= end; n--) {
    if (n >= LIMITS.usernameMin) names.push(lower.slice(0, n));
  }
  return names;
}

/**
 * The [start, end) ranges of `text` outside fenced code blocks. A fence is a line starting (after
 * up to three spaces) with three or more backticks or tildes; the block ends at a line holding
 * only a fence of the same character at least as long, or at the end of the text.
 */
function proseRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  let proseStart = 0;
  let fence: { char: number; length: number } | null = null;
  for (let lineStart = 0; lineStart <= text.length;) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const open = fenceAt(text, lineStart, lineEnd);
    if (fence === null) {
      if (open && (open.char === TILDE || !text.slice(open.end, lineEnd).includes('`'))) {
        if (lineStart > proseStart) ranges.push([proseStart, lineStart]);
        fence = open;
      }
    } else if (
      open &&
      open.char === fence.char &&
      open.length >= fence.length &&
      text.slice(open.end, lineEnd).trim() === ''
    ) {
      fence = null;
      proseStart = lineEnd;
    }
    lineStart = lineEnd + 1;
  }
  if (fence === null && proseStart < text.length) ranges.push([proseStart, text.length]);
  return ranges;
}

function fenceAt(
  text: string,
  lineStart: number,
  lineEnd: number,
): { char: number; length: number; end: number } | null {
  let i = lineStart;
  while (i < lineEnd && i - lineStart < 3 && text.charCodeAt(i) === 32) i++;
  const char = text.charCodeAt(i);
  if (char !== BACKTICK && char !== TILDE) return null;
  let j = i;
  while (j < lineEnd && text.charCodeAt(j) === char) j++;
  return j - i >= 3 ? { char, length: j - i, end: j } : null;
}

/**
 * The [from, to) ranges of text[start, end) outside inline code spans. A span opens at a run of
 * backticks and closes at the next run of exactly the same length; an opener without one is
 * literal text. Runs are indexed by length once, and each length's cursor only moves forward, so
 * a body of nothing but backtick runs of growing lengths stays linear.
 */
function outsideCodeSpans(text: string, start: number, end: number): [number, number][] {
  const runs: { at: number; length: number }[] = [];
  for (let i = start; i < end;) {
    if (text.charCodeAt(i) !== BACKTICK) {
      i++;
      continue;
    }
    let j = i;
    while (j < end && text.charCodeAt(j) === BACKTICK) j++;
    runs.push({ at: i, length: j - i });
    i = j;
  }
  const byLength = new Map<number, number[]>();
  runs.forEach((r, k) => {
    const list = byLength.get(r.length);
    if (list) list.push(k);
    else byLength.set(r.length, [k]);
  });
  const cursor = new Map<number, number>();
  const ranges: [number, number][] = [];
  let from = start;
  for (let k = 0; k < runs.length; k++) {
    const list = byLength.get(runs[k].length) as number[];
    let c = cursor.get(runs[k].length) ?? 0;
    while (c < list.length && list[c] <= k) c++;
    cursor.set(runs[k].length, c);
    if (c === list.length) continue;
    const close = list[c];
    ranges.push([from, runs[k].at]);
    from = runs[close].at + runs[close].length;
    k = close;
  }
  ranges.push([from, end]);
  return ranges;
}

/** A member as the mention resolver sees them. */
export interface MentionableMember {
  id: string;
  username: string;
}

/**
 * The members a parsed body mentions, each once, in order of first mention: every `@name` stands
 * for the longest of its candidate names that is a member's (case-insensitive).
 */
export function resolveMentions(parsed: ParsedMentions, members: readonly MentionableMember[]): string[] {
  const byName = new Map(members.map((m) => [m.username.toLowerCase(), m.id]));
  const ids: string[] = [];
  for (const candidates of parsed.names) {
    const id = candidates.map((n) => byName.get(n)).find((x) => x !== undefined);
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Every candidate name of a parsed body, for one member lookup. */
export function candidateNames(parsed: ParsedMentions): string[] {
  return [...new Set(parsed.names.flat())];
}
