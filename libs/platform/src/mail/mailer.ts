import { Logger } from '@nestjs/common';
import { createTransport } from 'nodemailer';

export interface MailerOptions {
  /** SMTP_URL: `smtp://user:pass@host:587` or `smtps://…`; empty: nothing is ever sent. */
  smtpUrl: string;
  /** MAIL_FROM: the From of every email, e.g. `Chat <chat@example.com>`. */
  from: string;
}

/** One email to one recipient: always both a plain-text and an HTML part. */
export interface OutgoingMail {
  /** A single bare address (`alice@example.com`), never a list or a display name. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers (List-Unsubscribe…): names and values on one line each. */
  headers?: Record<string, string>;
}

/**
 * Bounds on one SMTP exchange. The digest holds a database row lock while it sends, and a
 * verification request waits for it: a server that accepts the connection and then stalls must
 * not hold either for nodemailer's defaults (2 min to connect, 10 min idle).
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/** Anything that would end a header line: what header injection needs. */
const LINE_BREAK = /[\r\n\u2028\u2029]/;
/** A bare address: no list separators, display names, quotes or comments nodemailer would parse. */
const BARE_ADDRESS = /^[^\s@",;<>()[\]\\:]+@[^\s@",;<>()[\]\\:]+$/;

/**
 * Sends email over SMTP (nodemailer), shared by the services that mail people (auth: address
 * verification; gateway: away digests). Without SMTP_URL it sends nothing and says so once at
 * start-up: `send` then answers false, so callers can tell "not configured" from "sent".
 */
export class Mailer {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: ReturnType<typeof createTransport> | null;

  constructor(private readonly options: MailerOptions) {
    this.transport = options.smtpUrl ? createTransport({ url: options.smtpUrl, ...TIMEOUTS }) : null;
    if (!this.transport) this.logger.log('email is not configured (SMTP_URL is empty): no email is sent');
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  /**
   * Hands one email to the SMTP server. True once the server accepted it; false when email is not
   * configured. Throws when the server refuses it or cannot be reached (the caller decides whether
   * to try again), or when a field could smuggle a header or a second recipient in.
   */
  async send(mail: OutgoingMail): Promise<boolean> {
    assertSafe(mail);
    if (!this.transport) {
      this.logger.debug(`not sent, email is not configured: "${mail.subject}"`);
      return false;
    }
    await this.transport.sendMail({
      from: this.options.from,
      // A bare address (assertSafe): the envelope nodemailer derives from it has exactly this recipient.
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: mail.headers,
    });
    return true;
  }

  /** Called by Nest with the app: closes the transport (it keeps no connection between sends). */
  onModuleDestroy(): void {
    this.transport?.close();
  }
}

function assertSafe(mail: OutgoingMail): void {
  if (!BARE_ADDRESS.test(mail.to) || mail.to.length > 254) throw new Error('mail: not a single bare address');
  if (LINE_BREAK.test(mail.subject)) throw new Error('mail: line break in the subject');
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || LINE_BREAK.test(value))
      throw new Error(`mail: unsafe header ${name}`);
  }
}
