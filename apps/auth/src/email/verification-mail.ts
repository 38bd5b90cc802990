import { escapeHtml, type OutgoingMail } from '@chat/platform';

/** The email that carries a verification link: plain text and HTML saying the same. */
export function verificationMail(to: string, username: string, link: string): OutgoingMail {
  const text = [
    `Hi ${username},`,
    '',
    'To get email notifications from Chat at this address, confirm it by opening this link within 24 hours:',
    '',
    link,
    '',
    'If you did not ask for this, ignore this email: nothing more will be sent to this address.',
    '',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif;line-height:1.5">
<p>Hi ${escapeHtml(username)},</p>
<p>To get email notifications from Chat at this address, confirm it within 24 hours:</p>
<p><a href="${escapeHtml(link)}">Confirm my email address</a></p>
<p style="color:#666;font-size:90%">Or open this link: ${escapeHtml(link)}<br>
If you did not ask for this, ignore this email: nothing more will be sent to this address.</p>
</body></html>`;
  return {
    to,
    subject: 'Confirm your email address for Chat',
    text,
    html,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
