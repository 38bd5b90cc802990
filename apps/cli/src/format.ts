import { withoutHiddenCharacters, type Channel, type Message } from '@chat/contracts';

/**
 * Text from the server is untrusted: a message body could carry terminal escape sequences that
 * move the cursor, rewrite earlier lines, set the window title or hide text. The characters no
 * client shows (withoutHiddenCharacters: controls, bidi overrides, …) and carriage returns are
 * removed before printing; tabs become four spaces, newlines stay.
 */
export function clean(text: string): string {
  // A carriage return would move the cursor back over what the line already printed.
  return withoutHiddenCharacters(text).replace(/\t/g, '    ').replace(/\r/g, '');
}

/** One line of untrusted text (a name, a topic): newlines become spaces, and it is cut at `max`. */
export function cleanLine(text: string, max = 80): string {
  const flat = clean(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** HH:MM in the terminal's local time zone. */
export function formatClock(at: Date): string {
  if (Number.isNaN(at.getTime())) return '--:--';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export interface Style {
  dim(s: string): string;
  bold(s: string): string;
  accent(s: string): string;
  warn(s: string): string;
}

export const plain: Style = { dim: (s) => s, bold: (s) => s, accent: (s) => s, warn: (s) => s };

export const ansi: Style = {
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  accent: (s) => `\x1b[36m${s}\x1b[39m`,
  warn: (s) => `\x1b[33m${s}\x1b[39m`,
};

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * `HH:MM author: body`, continuation lines indented under the body; replies in a thread are
 * marked, deleted messages say so, attachments are listed by name and size.
 */
export function formatMessage(m: Message, style: Style = plain): string {
  const time = style.dim(formatClock(new Date(m.createdAt)));
  const author = style.bold(cleanLine(m.author.username, 32));
  const thread = m.threadId ? style.dim('↳ ') : '';
  if (m.deleted) return `${time} ${thread}${author}: ${style.dim('(message deleted)')}`;
  const lines = clean(m.body).split('\n');
  const files = m.attachments.map((f) =>
    style.dim(`[file: ${cleanLine(f.name, 60)} (${formatSize(f.size)})]`),
  );
  const edited = m.editedAt ? style.dim(' (edited)') : '';
  const head = `${time} ${thread}${author}: `;
  const indent = ' '.repeat(6 + (m.threadId ? 2 : 0) + 2);
  const body = [...lines, ...files].filter((l, i) => i === 0 || l !== '');
  return head + body.map((l, i) => (i === 0 ? l : indent + l)).join('\n') + edited;
}

/** How a channel is named on screen: `#general`, `@bob` for a DM (its name is the other user). */
export function channelLabel(c: Pick<Channel, 'name' | 'kind'>): string {
  const name = cleanLine(c.name, 40);
  if (c.kind === 'dm') return `@${name}`;
  return c.kind === 'private' ? `#${name} (private)` : `#${name}`;
}

export function shortLabel(c: Pick<Channel, 'name' | 'kind'>): string {
  return `${c.kind === 'dm' ? '@' : '#'}${cleanLine(c.name, 40)}`;
}

/** `bob is typing…`, `bob and carol are typing…`, `several people are typing…` (5 or more). */
export function typingLine(names: readonly string[]): string {
  const shown = names.map((n) => cleanLine(n, 32));
  if (shown.length === 0) return '';
  if (shown.length === 1) return `${shown[0]} is typing…`;
  if (shown.length >= 5) return 'several people are typing…';
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]} are typing…`;
}

/** The unread part of the prompt: `#random 3, @bob 1 +2 more`; '' when nothing is unread. */
export function unreadSummary(
  channels: readonly Pick<Channel, 'name' | 'kind' | 'unreadCount'>[],
  max = 3,
): string {
  const unread = channels.filter((c) => c.unreadCount > 0);
  if (unread.length === 0) return '';
  const shown = unread.slice(0, max).map((c) => `${shortLabel(c)} ${c.unreadCount}`);
  const more = unread.length > max ? ` +${unread.length - max} more` : '';
  return `${shown.join(', ')}${more}`;
}

/** `/channels`: one line per channel, DMs last, with unread counts and topics. */
export function channelList(
  channels: readonly Channel[],
  currentId: string | null,
  style: Style = plain,
): string[] {
  if (channels.length === 0)
    return ['You are in no channel yet. /list shows public ones, /join <name> joins.'];
  const sorted = [...channels].sort(
    (a, b) => Number(a.kind === 'dm') - Number(b.kind === 'dm') || a.name.localeCompare(b.name),
  );
  return sorted.map((c) => {
    const mark = c.id === currentId ? '*' : ' ';
    const unread = c.unreadCount > 0 ? style.warn(` (${c.unreadCount} unread)`) : '';
    const topic = c.topic && c.kind !== 'dm' ? style.dim(` — ${cleanLine(c.topic, 60)}`) : '';
    return `${mark} ${channelLabel(c)}${unread}${topic}`;
  });
}

export const HELP = [
  'Commands:',
  '  /channels              your channels and DMs, with unread counts',
  '  /list [filter]         public channels you can join',
  '  /join <name>           join a public channel and switch to it',
  '  /switch <name>, /c     switch to one of your channels (@user for a DM)',
  '  /dm <username>         open a direct conversation',
  '  /who                   members of this channel, online or not',
  '  /help                  this text',
  '  /quit                  leave (also Ctrl+C or Ctrl+D)',
  'Anything else is sent to the current channel; start a message with // to send a leading /.',
];
