import { escapeHtml } from '@chat/platform';

/**
 * The small pages an unsubscribe link opens. No script, no external resource: they must work in
 * any browser a mail client hands the link to, under the services' default CSP.
 */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
<h1 style="font-size:1.3rem">${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/**
 * Asks before unsubscribing: mail scanners and link previews open every GET link in an email, and
 * must not unsubscribe anyone. The form posts back to the same link.
 */
export function confirmUnsubscribePage(token: string): string {
  return page(
    'Stop notification emails?',
    `<p>You will no longer get emails about unread messages. You can turn them on again in Chat's settings.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
<button type="submit" style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button>
</form>`,
  );
}

export function unsubscribedPage(): string {
  return page(
    'You are unsubscribed',
    `<p>No more notification emails will be sent. You can turn them on again in Chat's settings.</p>`,
  );
}

export function invalidLinkPage(): string {
  return page(
    'This link does not work',
    `<p>It is incomplete or has expired. You can turn notification emails off in Chat's settings.</p>`,
  );
}
