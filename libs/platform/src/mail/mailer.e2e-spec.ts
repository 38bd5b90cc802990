import { Logger } from '@nestjs/common';
import { startSmtp, type TestSmtp } from '../../../../test/support/smtp';
import { hashEmailToken, newEmailToken } from './email-links';
import { Mailer } from './mailer';

const mail = { to: 'bob@example.com', subject: 'Hello', text: 'plain', html: '<p>html</p>' };

describe('Mailer (real SMTP server)', () => {
  let smtp: TestSmtp;
  let mailer: Mailer;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    smtp = await startSmtp();
    mailer = new Mailer({ smtpUrl: smtp.url, from: 'Chat <chat@example.com>' });
  });
  afterAll(async () => {
    mailer.onModuleDestroy();
    await smtp.close();
  });

  it('delivers a text and HTML email with its headers to exactly the recipient', async () => {
    expect(mailer.configured).toBe(true);
    expect(await mailer.send({ ...mail, headers: { 'List-Unsubscribe': '<https://x.example/u>' } })).toBe(
      true,
    );
    const got = await smtp.next('bob@example.com');
    expect(got.recipients).toEqual(['bob@example.com']);
    // MAIL FROM is the sender, never the null path of bounces.
    expect(got.from).toBe('chat@example.com');
    expect(got.parsed.subject).toBe('Hello');
    expect(got.parsed.text?.trim()).toBe('plain');
    expect(got.parsed.html).toBe('<p>html</p>');
    expect(got.header('list-unsubscribe')).toBe('<https://x.example/u>');
  });

  it.each([
    ['a CRLF in the address', { to: 'a@b.co\r\nBcc: eve@example.com' }],
    ['two addresses', { to: 'a@b.co, eve@example.com' }],
    ['a display name', { to: 'Eve <eve@example.com>' }],
    ['a CRLF in the subject', { subject: 'hi\r\nBcc: eve@example.com' }],
    ['a CRLF in a header value', { headers: { 'List-Unsubscribe': '<x>\r\nBcc: eve@example.com' } }],
    ['a header name with a colon', { headers: { 'Bcc: eve@example.com\r\nX': 'y' } }],
  ])('refuses %s before anything is sent', async (_label, over) => {
    await expect(mailer.send({ ...mail, ...over })).rejects.toThrow(/^mail: /);
    expect(await smtp.during('eve@example.com', 200)).toEqual([]);
  });

  it('rejects when the server refuses', async () => {
    smtp.failing = true;
    try {
      await expect(mailer.send(mail)).rejects.toThrow(/451/);
    } finally {
      smtp.failing = false;
    }
  });

  it('sends nothing and answers false without SMTP_URL', async () => {
    const off = new Mailer({ smtpUrl: '', from: 'Chat <chat@example.com>' });
    expect(off.configured).toBe(false);
    expect(await off.send({ ...mail, to: 'nobody@example.com' })).toBe(false);
    expect(await smtp.during('nobody@example.com', 200)).toEqual([]);
  });
});

describe('email link tokens', () => {
  it('are 43 base64url characters, hashed with SHA-256; anything else hashes to null', () => {
    const { token, hash } = newEmailToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toHaveLength(32);
    expect(hashEmailToken(token)).toEqual(hash);
    for (const bad of [undefined, '', 'abc', `${token}x`, token.replace(/./, '+'), ['a'], { token }])
      expect(hashEmailToken(bad)).toBeNull();
  });
});
