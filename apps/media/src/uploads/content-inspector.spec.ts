import sharp from 'sharp';
import { PARSER_WORKER } from '../sandbox/parsers.service';
import { WorkerPool } from '../sandbox/worker-pool';
import { ContentInspector, SNIFF_BYTES, TextChecker } from './content-inspector';

// The real detector (file-type, ESM-only) in the real worker, as the service runs it.
const pool = new WorkerPool({
  name: 'sniff',
  script: PARSER_WORKER,
  workerData: { parser: 'sniff' },
  size: 1,
  queueLimit: 10,
  timeoutMs: 10_000,
  maxHeapMb: 64,
});
const sniff = (head: Buffer) => pool.run<string | null>(() => ({ message: { bytes: new Uint8Array(head) } }));
afterAll(() => pool.close());

async function inspect(data: Buffer, chunkSize = 7): Promise<string> {
  const inspector = await ContentInspector.start(data.subarray(0, SNIFF_BYTES), sniff);
  for (let i = SNIFF_BYTES; i < data.length; i += chunkSize) inspector.push(data.subarray(i, i + chunkSize));
  return inspector.end();
}

describe('ContentInspector', () => {
  it('finds the type from magic numbers, whatever the name or header said', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(await inspect(png)).toBe('image/png');
    expect(await inspect(Buffer.from('%PDF-1.7\n...'))).toBe('application/pdf');
    expect(await inspect(Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'))).toBe(
      'application/x-msdownload',
    );
    expect(await inspect(Buffer.from('OggS\x00\x02' + '\x00'.repeat(22) + '\x01vorbis\x00', 'latin1'))).toBe(
      'audio/ogg',
    );
    expect(await inspect(Buffer.from('OggS\x00\x02' + '\x00'.repeat(22) + 'OpusHead', 'latin1'))).toBe(
      'audio/ogg',
    );
  });

  it('calls UTF-8 text without a magic number text/plain (empty included)', async () => {
    expect(await inspect(Buffer.alloc(0))).toBe('text/plain');
    expect(await inspect(Buffer.from('hello\tworld\r\n\x1b[1mbold\x1b[0m\n'))).toBe('text/plain');
    expect(await inspect(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('text/plain');
    // "G" at 0 and 188 is all file-type needs to call it an MPEG transport stream.
    const g = Buffer.from(`Good morning${'.'.repeat(176)}Good night\n`.repeat(30));
    expect(await inspect(g)).toBe('text/plain');
    const ts = Buffer.alloc(188 * 3, 0xff);
    for (let i = 0; i < ts.length; i += 188) ts[i] = 0x47;
    expect(await inspect(ts)).toBe('video/mp2t');
  });

  it('judges text by all of its bytes, across chunk boundaries inside characters', async () => {
    const text = Buffer.from('Grüße 世界 😀 '.repeat(2000));
    expect(await inspect(text, 1)).toBe('text/plain');
    expect(await inspect(text, 3)).toBe('text/plain');
    // One binary byte far past the sniffed head makes it binary.
    const tainted = Buffer.concat([text, Buffer.from([0x00]), text]);
    expect(await inspect(tainted)).toBe('application/octet-stream');
    // A character cut off at the very end is not text either.
    expect(await inspect(Buffer.concat([text, Buffer.from([0xe4, 0xb8])]))).toBe('application/octet-stream');
  });

  it('calls binary without a magic number it knows (or UTF-16 text) application/octet-stream', async () => {
    expect(await inspect(Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'))).toBe('application/x-elf');
    expect(await inspect(Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10]))).toBe(
      'application/octet-stream',
    );
    expect(await inspect(Buffer.from('hello', 'utf16le'))).toBe('application/octet-stream');
    expect(await inspect(Buffer.from([0xc3, 0x28]))).toBe('application/octet-stream');
  });
});

describe('TextChecker', () => {
  it('rejects overlong and surrogate encodings even when split', () => {
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
    ]) {
      const checker = new TextChecker();
      for (const b of bad) checker.push(Buffer.from([b]));
      expect(checker.end()).toBe(false);
    }
  });
});
