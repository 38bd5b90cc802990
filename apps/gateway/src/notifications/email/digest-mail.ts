import type { NotificationKind } from '@chat/contracts';
import { escapeHtml, type OutgoingMail } from '@chat/platform';

/** One line of a digest. */
export interface DigestItem {
  kind: NotificationKind;
  channelId: string;
  seq: number;
  /** "alice in #general": user input (names). */
  title: string;
  /** The start of the message: user input. */
  body: string;
}

export interface Digest {
  to: string;
  username: string;
  /** What the email lists (the oldest first). */
  items: DigestItem[];
  /** All the notifications it stands for (items plus those summed up as "and N more"). */
  total: number;
  publicUrl: string;
  unsubscribeUrl: string;
}

const KIND_LABEL: Record<NotificationKind, string> = {
  mention: 'mentioned you',
  dm: 'direct message',
  reply: 'replied in a thread',
  message: 'new message',
};

/** Line breaks and other controls in user text become one space: they must not shape the email. */
function oneLine(text: string): string {
  return text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The web client's permalink route (apps/web/src/util/permalink.ts). */
export function permalink(publicUrl: string, channelId: string, seq: number): string {
  return `${publicUrl}/#/c/${encodeURIComponent(channelId)}/m/${seq}`;
}

/**
 * The away digest: one email for every unread notification, plain text and HTML, with an
 * unsubscribe link in the body and in List-Unsubscribe (RFC 2369) with one-click (RFC 8058), so
 * mail clients offer their own button. Titles and bodies are user input: escaped in the HTML,
 * flattened to one line in both parts.
 */
export function digestMail(d: Digest): OutgoingMail {
  const more = d.total - d.items.length;
  const subject = `${d.total} new notification${d.total === 1 ? '' : 's'} in Chat`;
  const home = `${d.publicUrl}/`;

  const textItems = d.items.map((i) =>
    [
      `${oneLine(i.title)} (${KIND_LABEL[i.kind]})`,
      `  ${oneLine(i.body)}`,
      `  ${permalink(d.publicUrl, i.channelId, i.seq)}`,
    ].join('\n'),
  );
  const text = [
    `Hi ${d.username},`,
    '',
    `While you were away, ${d.total === 1 ? 'this message' : 'these messages'} came for you:`,
    '',
    textItems.join('\n\n'),
    ...(more > 0 ? ['', `… and ${more} more.`] : []),
    '',
    `Open Chat: ${home}`,
    '',
    '--',
    `You get this email because email notifications are on for ${d.to}.`,
    `Unsubscribe: ${d.unsubscribeUrl}`,
    '',
  ].join('\n');

  const htmlItems = d.items
    .map(
      (i) => `<li style="margin:0 0 1em">
<a href="${escapeHtml(permalink(d.publicUrl, i.channelId, i.seq))}" style="font-weight:bold">${escapeHtml(oneLine(i.title))}</a>
<span style="color:#666"> · ${KIND_LABEL[i.kind]}</span><br>
<span>${escapeHtml(oneLine(i.body))}</span>
</li>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif;line-height:1.4">
<p>Hi ${escapeHtml(d.username)},</p>
<p>While you were away, ${d.total === 1 ? 'this message' : 'these messages'} came for you:</p>
<ul style="padding-left:1.2em">
${htmlItems}
</ul>
${more > 0 ? `<p>… and ${more} more.</p>\n` : ''}<p><a href="${escapeHtml(home)}">Open Chat</a></p>
<p style="color:#666;font-size:85%">You get this email because email notifications are on for ${escapeHtml(d.to)}.
<a href="${escapeHtml(d.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;

  return {
    to: d.to,
    subject,
    text,
    html,
    headers: {
      'List-Unsubscribe': `<${d.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // No vacation replies or bounces-as-replies to a robot.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    },
  };
}
