import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One email as the SMTP server received it: the envelope, the raw message and mailparser's reading. */
export interface ReceivedMail {
  /** RCPT TO addresses: who the message was really delivered to (Bcc included). */
  recipients: string[];
  from: string;
  raw: string;
  parsed: ParsedMail;
  /** The unfolded value of the first header `name` (case-insensitive), as sent. */
  header(name: string): string | undefined;
}

export interface TestSmtp {
  /** `smtp://127.0.0.1:<port>`: the SMTP_URL for the apps under test. */
  url: string;
  received: ReceivedMail[];
  /** Mail delivered to `address` (case-insensitive), in arrival order. */
  to(address: string): ReceivedMail[];
  /** Resolves with the first mail to `address` matching `where`, received already or later. */
  next(address: string, where?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Waits `ms` and returns the mail to `address` that arrived meanwhile (tests assert it is empty). */
  during(address: string, ms: number): Promise<ReceivedMail[]>;
  /** While true, every message is refused with a 451 after DATA, as a server in trouble does. */
  failing: boolean;
  /** How many messages were refused while `failing`. */
  refused: number;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free loopback port (smtp-server), without TLS or authentication, that
 * keeps every message it accepts, parsed with mailparser.
 */
export async function startSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  let waiters: (() => void)[] = [];
  const state = { failing: false, refused: 0 };

  const server = new SMTPServer({
    authOptional: true,
    // nodemailer upgrades to STARTTLS whenever it is offered, and would refuse the built-in test certificate.
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.failing) {
          state.refused += 1;
          const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            received.push({
              recipients: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              raw,
              parsed,
              header: (name) => rawHeader(raw, name),
            });
            for (const w of waiters.slice()) w();
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const to = (address: string) => received.filter((m) => m.recipients.includes(address.toLowerCase()));

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    get refused() {
      return state.refused;
    },
    next(address, where = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = to(address).find(where);
          if (!found) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no mail to ${address} within ${timeoutMs} ms (${to(address).length} other)`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== check);
        };
        waiters.push(check);
        check();
      });
    },
    async during(address, ms) {
      const before = to(address).length;
      await new Promise((r) => setTimeout(r, ms));
      return to(address).slice(before);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header's value from the raw message head, folded lines joined (RFC 5322 2.2.3). */
function rawHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(prefix));
  return line?.slice(prefix.length).trim();
}
