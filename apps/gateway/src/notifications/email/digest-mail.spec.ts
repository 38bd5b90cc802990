import { digestMail, type DigestItem } from './digest-mail';

const item = (over: Partial<DigestItem> = {}): DigestItem => ({
  kind: 'mention',
  channelId: '0b7e6c1e-6c1d-4e57-9a53-5a9c9b2f1d10',
  seq: 7,
  title: 'alice in #general',
  body: 'hello',
  ...over,
});

const digest = (items: DigestItem[], total = items.length) =>
  digestMail({
    to: 'bob@example.com',
    username: 'bob',
    items,
    total,
    publicUrl: 'https://chat.example',
    unsubscribeUrl: 'https://chat.example/auth/email/unsubscribe?token=abc',
  });

describe('digestMail', () => {
  it('counts in the subject, singular and plural', () => {
    expect(digest([item()]).subject).toBe('1 new notification in Chat');
    expect(digest([item(), item({ seq: 8 })]).subject).toBe('2 new notifications in Chat');
  });

  it('escapes user text in the HTML and keeps it one line in both parts', () => {
    const mail = digest([
      item({
        title: '<img src=x onerror=alert(1)> in #"x"',
        body: "a\r\nBcc: eve@example.com\n\n<a href='j'>&",
      }),
    ]);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; in #&quot;x&quot;');
    expect(mail.html).toContain('a Bcc: eve@example.com &lt;a href=&#39;j&#39;&gt;&amp;');
    expect(mail.html).not.toMatch(/<img|<a href='j'/);
    expect(mail.text).toContain("  a Bcc: eve@example.com <a href='j'>&\n");
    expect(mail.text).not.toMatch(/^Bcc:/m);
  });

  it('links every item to its permalink and sums up the rest', () => {
    const mail = digest([item(), item({ seq: 9 })], 14);
    expect(mail.text).toContain('https://chat.example/#/c/0b7e6c1e-6c1d-4e57-9a53-5a9c9b2f1d10/m/7');
    expect(mail.html).toContain('href="https://chat.example/#/c/0b7e6c1e-6c1d-4e57-9a53-5a9c9b2f1d10/m/9"');
    expect(mail.text).toContain('… and 12 more.');
    expect(mail.subject).toBe('14 new notifications in Chat');
  });

  it('carries the unsubscribe link in both parts and as one-click headers', () => {
    const mail = digest([item()]);
    expect(mail.text).toContain('Unsubscribe: https://chat.example/auth/email/unsubscribe?token=abc');
    expect(mail.html).toContain('href="https://chat.example/auth/email/unsubscribe?token=abc"');
    expect(mail.headers).toMatchObject({
      'List-Unsubscribe': '<https://chat.example/auth/email/unsubscribe?token=abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
});
