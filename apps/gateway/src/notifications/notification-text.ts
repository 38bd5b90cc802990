import { withoutHiddenCharacters, type ChannelKind } from '@chat/contracts';

/** The longest notification body, in code points, the ellipsis included (contract: 200). */
export const NOTIFICATION_BODY_MAX = 200;
/** The longest title (the `notifications.title` column is varchar(200)). */
export const NOTIFICATION_TITLE_MAX = 200;
/** What an attachments-only message says. */
export const FILE_ONLY_BODY = 'sent a file';

/**
 * How much of a body is read: the result is at most 200 characters, and Markdown stripping rarely
 * shortens text tenfold, so the rest of a 4,000-character body is never looked at. It also bounds
 * the link pattern below, whose cost grows with the text it is given.
 */
const READ_MAX = 2000;
const ELLIPSIS = '…';

/** Fence lines of code blocks (the code itself is kept as text). */
const FENCE_LINE = /^ {0,3}(?:`{3,}|~{3,})[^\n]*$/gm;
/**
 * `![alt](url)` and `[text](url)` → the text (a URL may hold one level of parentheses, as
 * Wikipedia's do); bounded so `[[[[…` stays linear in practice.
 */
const LINK = /!?\[([^\]\n]{0,300})\]\((?:[^()\n]|\([^()\n]{0,200}\)){0,1000}\)/g;
/** Line prefixes: headings, block quotes (nested too), list bullets and numbers. */
const LINE_PREFIX = /^[ \t]{0,3}(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)/gm;
/**
 * Emphasis, strike-through and code-span markers. A single `_` stays: it is far more often part
 * of a name (snake_case) than emphasis.
 */
const INLINE_MARKS = /\*{1,3}|_{2,3}|~~|`+/g;
const SPACE = /\s+/g;

/** The channel as a notification names it. */
export interface NotifiedChannel {
  kind: ChannelKind;
  name: string;
}

/** What the body is made from: the message's text and whether it carries files. */
export interface NotifiedMessage {
  body: string;
  attachments: readonly unknown[];
}

/** `alice in #general`; in a DM just `alice` (the DM is the conversation with them). */
export function notificationTitle(author: string, channel: NotifiedChannel): string {
  const who = plain(author);
  if (channel.kind === 'dm') return truncate(who, NOTIFICATION_TITLE_MAX);
  return truncate(`${who} in #${plain(channel.name)}`, NOTIFICATION_TITLE_MAX);
}

/**
 * The message as one line of plain text, at most 200 characters (the last an ellipsis when cut):
 * Markdown markers dropped, links reduced to their text, whitespace collapsed, hidden characters
 * removed. A message whose text is all markup shows the markup rather than nothing; one with only
 * files says so.
 */
export function notificationBody(message: NotifiedMessage): string {
  const head = message.body.length > READ_MAX ? message.body.slice(0, READ_MAX) : message.body;
  const raw = withoutHiddenCharacters(head);
  const text =
    plain(
      raw
        .replace(/\r\n?/g, '\n')
        .replace(FENCE_LINE, ' ')
        .replace(LINK, '$1')
        .replace(LINE_PREFIX, '')
        .replace(INLINE_MARKS, ''),
    ) || plain(raw);
  if (text === '') return message.attachments.length > 0 ? FILE_ONLY_BODY : '';
  return truncate(text, NOTIFICATION_BODY_MAX);
}

/** One line: hidden characters out, every run of whitespace (newlines included) one space. */
function plain(text: string): string {
  return withoutHiddenCharacters(text).replace(SPACE, ' ').trim();
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * At most `max` code points (what the database's varchar counts), cut between graphemes (never
 * inside a surrogate pair, an emoji sequence or a letter with its accents), ending with an
 * ellipsis when anything was cut.
 */
export function truncate(text: string, max: number): string {
  // Fewer UTF-16 units than the limit: fewer code points too.
  if (text.length <= max || [...text].length <= max) return text;
  let out = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    const n = [...segment].length;
    if (count + n > max - 1) break;
    out += segment;
    count += n;
  }
  // One grapheme longer than the limit (a letter under hundreds of combining marks): cut it.
  if (count === 0) out = [...text].slice(0, max - 1).join('');
  return out.trimEnd() + ELLIPSIS;
}
