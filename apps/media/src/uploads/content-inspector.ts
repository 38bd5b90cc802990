import { isUtf8 } from 'node:buffer';
import { normalizeMime, OCTET_STREAM, TEXT_PLAIN } from '../files/media-types';

/** What file-type needs to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

/**
 * Types file-type finds from a byte or two that text can contain: taken only when the bytes are
 * not UTF-8 text. (An MPEG transport stream is "G" at 0 and at 188: a text file starting with "G"
 * with another "G" 188 bytes on would otherwise be video.)
 */
const WEAK_MAGIC = new Set(['video/mp2t']);

/**
 * Magic-number detection of the first bytes: the MIME type, or null when no format is recognised.
 * In the service this is file-type in a worker under a deadline (ParsersService.sniff).
 */
export type Sniffer = (head: Buffer) => Promise<string | null>;

/**
 * Bytes no text file contains: C0 controls other than tab, LF, VT, FF, CR and ESC. UTF-16 text
 * (full of NULs) and binary formats without a magic number fall out here.
 */
function hasBinaryControls(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b < 0x20 && (b < 0x09 || (b > 0x0d && b !== 0x1b))) return true;
  }
  return false;
}

/**
 * Streaming "is this UTF-8 text?": chunks may cut a multi-byte character in two, so the unfinished
 * tail of each chunk is carried over to the next one.
 */
export class TextChecker {
  private carry: Buffer = Buffer.alloc(0);
  private ok = true;

  get isText(): boolean {
    return this.ok;
  }

  push(chunk: Buffer): boolean {
    if (!this.ok) return false;
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let cut = data.length;
    for (let i = data.length - 1; i >= Math.max(0, data.length - 4); i--) {
      const b = data[i];
      if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (i + need > data.length) cut = i;
      break;
    }
    const whole = data.subarray(0, cut);
    this.carry = Buffer.from(data.subarray(cut));
    if (!isUtf8(whole) || hasBinaryControls(whole)) this.ok = false;
    return this.ok;
  }

  /** Call at the end of the data: a character left unfinished means it was not text. */
  end(): boolean {
    if (this.carry.length) this.ok = false;
    this.carry = Buffer.alloc(0);
    return this.ok;
  }
}

/**
 * The type of a file from its bytes, never from what the client claims: a magic number when
 * file-type knows one, else text/plain while every byte so far is UTF-8 text, else
 * application/octet-stream. Feed it the first SNIFF_BYTES with `start`, the rest with `push`.
 */
export class ContentInspector {
  private text: TextChecker | null = null;
  private magic: string | null = null;

  static async start(head: Buffer, sniff: Sniffer): Promise<ContentInspector> {
    const inspector = new ContentInspector();
    const found = head.length ? await sniff(head) : null;
    // Without parameters: Opus is `audio/ogg; codecs=opus` to file-type, `audio/ogg` to the allowlist.
    const type = found ? normalizeMime(found) : null;
    if (type && !(WEAK_MAGIC.has(type) && new TextChecker().push(head))) inspector.magic = type;
    else {
      inspector.text = new TextChecker();
      inspector.text.push(head);
    }
    return inspector;
  }

  get type(): string {
    if (this.magic) return this.magic;
    return this.text?.isText ? TEXT_PLAIN : OCTET_STREAM;
  }

  /** Whether the rest of the bytes still matters (only for text, where one bad byte changes the type). */
  get needsRest(): boolean {
    return !!this.text?.isText;
  }

  push(chunk: Buffer): void {
    this.text?.push(chunk);
  }

  end(): string {
    this.text?.end();
    return this.type;
  }
}
