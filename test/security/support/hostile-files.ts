import { crc32, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';

/** Hand-built files for upload attacks: bombs that lie about their size, and polyglots. */

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

function ihdr(width: number, height: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = 0; // greyscale
  return h;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A greyscale PNG of `width`×`height` black pixels, all really there: `rows` of zeros deflate
 * about a thousandfold, so a 49-megapixel image is a few tens of kilobytes.
 */
export function zeroPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc(height * (width + 1)); // a 0 filter byte and `width` zero pixels per row
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr(width, height)),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny PNG whose header claims `width`×`height` (e.g. 100000×100000): pixel data for one row only. */
export function liarPng(width: number, height: number): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr(width, height)),
    pngChunk('IDAT', deflateSync(Buffer.alloc(Math.min(width + 1, 65_536)))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The classic 1×1 GIF89a. */
export const TINY_GIF = Buffer.from(
  '474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b',
  'hex',
);

/** A GIF whose logical screen claims 65535×65535 (4.3 gigapixels) around a 1×1 frame. */
export function liarGif(): Buffer {
  const gif = Buffer.from(TINY_GIF);
  gif.writeUInt16LE(0xffff, 6);
  gif.writeUInt16LE(0xffff, 8);
  return gif;
}

/**
 * GIF/JavaScript polyglot: a valid GIF whose width bytes open a JS comment (`/*`) and whose tail
 * closes it, so `<script src>` would run it if a server let browsers sniff it as script.
 */
export function gifJsPolyglot(): Buffer {
  const gif = Buffer.from(TINY_GIF);
  gif.write('/*', 6, 'latin1');
  return Buffer.concat([gif, Buffer.from('*/=1;alert(document.domain);//', 'latin1')]);
}

/** A zip holding one entry (stored or deflated), optionally lying about the uncompressed size. */
export function zip(
  name: string,
  content: Buffer,
  opts: { deflate?: boolean; claimSize?: number } = {},
): Buffer {
  const data = opts.deflate ? deflateRawSync(content, { level: 9 }) : content;
  const method = opts.deflate ? 8 : 0;
  const crc = crc32(content) >>> 0;
  const size = opts.claimSize ?? content.length;
  const fname = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size >>> 0, 22);
  local.writeUInt16LE(fname.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size >>> 0, 24);
  central.writeUInt16LE(fname.length, 28);
  central.writeUInt32LE(0, 42);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fname.length, 12);
  end.writeUInt32LE(local.length + fname.length + data.length, 16);
  return Buffer.concat([local, fname, data, central, fname, end]);
}

/** A PNG with a zip (holding an HTML page with script) appended: both formats parse it. */
export function pngZipPolyglot(png: Buffer): Buffer {
  return Buffer.concat([
    png,
    zip('index.html', Buffer.from('<html><script>alert(document.domain)</script></html>')),
  ]);
}

/** A JPEG's SOF0 dimensions rewritten to `width`×`height`. */
export function liarJpeg(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && out[i + 1] >= 0xc0 && out[i + 1] <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF marker');
}

// ---------------------------------------------------------------------------------------------
// The corpus of hostile files (docs/reliability.md "Hostile files"): for each container format the
// type detector knows, headers cut short and declared sizes of zero or far past the end of the
// file; decompression bombs; polyglots. Every file is built here from a few bytes of structure, so
// a reader sees exactly what each one lies about.

/** Pads (with zeros) or cuts `data` to exactly `size` bytes. */
function sized(data: Buffer, size: number): Buffer {
  return data.length >= size
    ? data.subarray(0, size)
    : Buffer.concat([data, Buffer.alloc(size - data.length)]);
}

const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u64le = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const u64be = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const ascii = (s: string) => Buffer.from(s, 'latin1');

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const ASF_STREAM_PROPERTIES_GUID = Buffer.from('9107dcb7b7a9cf118ee600c00c205365', 'hex');

/**
 * CVE-2026-31808: a 4 KB ASF file whose first header object declares a size of `objectSize` (0 in
 * the CVE). file-type 16.5.4 skipped `size - 24` bytes after each object header: −24 with a size
 * of 0, so it walked backwards over the same bytes forever at 100 % CPU.
 */
export function asf(objectSize: bigint, total = 4096): Buffer {
  return sized(
    Buffer.concat([
      ASF_HEADER_GUID,
      u64le(BigInt(total)), // header object size
      u32le(3), // header objects that follow
      Buffer.from([0x01, 0x02]), // reserved
      ASF_STREAM_PROPERTIES_GUID,
      u64le(objectSize),
      Buffer.from('bc19efc05b4dd011a3ac00a0c90348f6', 'hex'), // audio media stream type
    ]),
    total,
  );
}

/** An MP4/MOV atom: 32-bit size (0 = "to the end of the file"; 1 = a 64-bit size follows). */
function atom(type: string, size: number | bigint, body: Buffer): Buffer {
  if (typeof size === 'bigint') return Buffer.concat([u32be(1), ascii(type), u64be(size), body]);
  return Buffer.concat([u32be(size), ascii(type), body]);
}

/** MP4 whose `ftyp` (and a `moov` after it) declare `size` bytes: 0, or far more than the file. */
export function mp4(size: number | bigint, brand = 'isom'): Buffer {
  const ftypBody = Buffer.concat([ascii(brand), u32be(0x200), ascii(`${brand}iso2mp41`)]);
  return sized(Buffer.concat([atom('ftyp', size, ftypBody), atom('moov', size, Buffer.alloc(64))]), 4096);
}

/** QuickTime `moov`/`mdat` first (no `ftyp`), each declaring `size`. */
export function mov(size: number): Buffer {
  return sized(
    Buffer.concat([atom('moov', size, Buffer.alloc(32)), atom('mdat', size, Buffer.alloc(32))]),
    4096,
  );
}

/** RIFF (`WAVE` or `AVI `) whose RIFF and first chunk declare `size` bytes (0 or 0xffffffff). */
export function riff(form: 'WAVE' | 'AVI ', size: number): Buffer {
  const first = form === 'WAVE' ? 'fmt ' : 'LIST';
  return sized(
    Buffer.concat([ascii('RIFF'), u32le(size), ascii(form), ascii(first), u32le(size), ascii('hdrlavih')]),
    4096,
  );
}

/** An EBML variable-size integer of 8 bytes (0x01ffffffffffffff means "unknown size"). */
const vint8 = (n: bigint) => u64be(n | (1n << 56n));

/**
 * Matroska/WebM: an EBML header declaring `headerSize` bytes, holding a DocType element that
 * declares `docTypeSize` (both may be 0, "unknown", or far past the end of the file).
 */
export function ebml(docType: 'webm' | 'matroska', headerSize: bigint, docTypeSize: bigint): Buffer {
  return sized(
    Buffer.concat([
      Buffer.from([0x1a, 0x45, 0xdf, 0xa3]),
      vint8(headerSize),
      Buffer.from([0x42, 0x86, 0x81, 0x01]), // EBMLVersion 1
      Buffer.from([0x42, 0x82]),
      vint8(docTypeSize),
      ascii(docType),
    ]),
    4096,
  );
}

/** A PNG whose second chunk declares `length` bytes (up to 2³¹−1) of data that are not there. */
export function pngHugeChunk(length: number): Buffer {
  const len = u32be(length);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(16, 16)), len, ascii('IDAT'), Buffer.alloc(64)]);
}

/**
 * A TIFF (little or big endian) whose IFD chain loops: each IFD's "next" offset points back to
 * the first, and its one entry points its value at the IFD itself.
 */
export function tiffLoop(endian: 'II' | 'MM'): Buffer {
  const le = endian === 'II';
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(n);
    else b.writeUInt16BE(n);
    return b;
  };
  const u32 = (n: number) => (le ? u32le(n) : u32be(n));
  return sized(
    Buffer.concat([
      ascii(endian),
      u16(42),
      u32(8), // first IFD at 8
      u16(2), // two entries
      Buffer.concat([u16(256), u16(4), u32(1), u32(0xffffffff)]), // ImageWidth: 4 294 967 295
      Buffer.concat([u16(0x8769), u16(4), u32(1), u32(8)]), // Exif IFD: the same IFD again
      u32(8), // next IFD: itself
    ]),
    4096,
  );
}

/** A zip whose end-of-central-directory claims 65535 entries at an offset past the end of the file. */
export function zipBogusDirectory(): Buffer {
  const good = zip('a.txt', Buffer.from('hello'));
  const eocd = good.subarray(good.length - 22);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12); // directory size
  eocd.writeUInt32LE(0xfffffff0, 16); // directory offset
  return good;
}

/** A zip whose first local header declares a 65535-byte name and a 4 GiB entry, then stops. */
export function zipTruncatedEntry(): Buffer {
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(0xffffffff, 18);
  local.writeUInt32LE(0xffffffff, 22);
  local.writeUInt16LE(0xffff, 26);
  local.writeUInt16LE(0xffff, 28);
  return Buffer.concat([local, ascii('mimetypeapplication/epub+zip')]);
}

/** A PDF with a cross-reference table pointing past the end and an object stream of "huge" length. */
export function pdfLiar(): Buffer {
  return ascii(
    '%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' +
      '2 0 obj\n<< /Length 99999999999 >>\nstream\nxx\nendstream\nendobj\n' +
      'xref\n0 999999999\n0000000000 65535 f \ntrailer\n<< /Size 999999999 /Root 1 0 R >>\n' +
      'startxref\n99999999999\n%%EOF\n',
  );
}

/**
 * An Ogg page whose segment table promises 255 segments of 255 bytes that never come, with a
 * codec id (`vorbis`, `opus`…) where file-type looks for one.
 */
export function oggTruncated(codec = '\x01vorbis'): Buffer {
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 0x02; // beginning of stream
  page[26] = 255; // segments
  page[27] = 255; // the first of them: 255 bytes
  return Buffer.concat([page, sized(ascii(codec), 8), Buffer.alloc(254, 0xff)]);
}

/** An ID3v2 tag declaring 256 MB (its largest syncsafe size) before an MP3 that is not there. */
export function id3Huge(): Buffer {
  return Buffer.concat([
    ascii('ID3'),
    Buffer.from([0x04, 0x00, 0x00, 0x7f, 0x7f, 0x7f, 0x7f]),
    Buffer.alloc(64),
  ]);
}

/** The first `n` bytes of each format's magic number and header: detectors must not read past the end. */
export function truncatedHeaders(): [string, Buffer][] {
  const heads: [string, Buffer][] = [
    ['png', PNG_SIGNATURE],
    ['gif', ascii('GIF89a')],
    ['jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])],
    ['asf', ASF_HEADER_GUID],
    ['mp4', Buffer.concat([u32be(0x18), ascii('ftypisom')])],
    ['riff', ascii('RIFF\xff\xff\xff\xffWAVE')],
    ['ebml', Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f])],
    ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04])],
    ['pdf', ascii('%PDF-')],
    ['ogg', ascii('OggS\x00')],
    ['tiff', ascii('II*\x00')],
    ['id3', ascii('ID3\x04')],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08])],
  ];
  return heads.flatMap(([name, head]) => [
    [`${name}-1-byte`, head.subarray(0, 1)] as [string, Buffer],
    [`${name}-half`, head.subarray(0, Math.max(1, head.length >> 1))] as [string, Buffer],
    [`${name}-whole-head-only`, head] as [string, Buffer],
  ]);
}

/** A GIF that is also an HTML page with script (what a browser would run if it sniffed the bytes). */
export function gifHtmlPolyglot(): Buffer {
  return Buffer.concat([
    TINY_GIF,
    ascii('<html><body><script>alert(document.domain)</script></body></html>'),
  ]);
}

/** A PDF that is also a zip (a PDF reader reads from the start, an unzipper from the end). */
export function pdfZipPolyglot(): Buffer {
  return Buffer.concat([
    pdfLiar(),
    zip('index.html', Buffer.from('<html><script>alert(document.domain)</script></html>')),
  ]);
}

/** A small zip bomb: one entry of `mb` MiB of zeros, deflated about a thousandfold. */
export function zipBomb(mb = 50): Buffer {
  return zip('zeros.bin', Buffer.alloc(mb * 1024 * 1024), { deflate: true });
}

const UNKNOWN = (1n << 56n) - 1n;

export interface HostileFile {
  /** Which class of attack (docs/reliability.md "Hostile files" lists them). */
  kind: 'truncated header' | 'zero size' | 'huge size' | 'loop' | 'bomb' | 'polyglot';
  name: string;
  data: Buffer;
  /** A plausible type for a presigned upload to declare. */
  declared: string;
}

/**
 * The whole corpus. `zeroPng` (a 49-megapixel decompression bomb within the default pixel limit)
 * is left out: its own test measures its memory.
 */
export function hostileCorpus(): HostileFile[] {
  const f = (kind: HostileFile['kind'], name: string, data: Buffer, declared: string): HostileFile => ({
    kind,
    name,
    data,
    declared,
  });
  return [
    ...truncatedHeaders().map(([name, data]) => f('truncated header', name, data, 'application/pdf')),
    f('zero size', 'asf-object-size-0.wmv (CVE-2026-31808)', asf(0n), 'video/mp4'),
    f('huge size', 'asf-object-size-2^63.wmv', asf(1n << 63n), 'video/mp4'),
    f('zero size', 'mp4-atoms-size-0.mp4', mp4(0), 'video/mp4'),
    f('huge size', 'mp4-atoms-size-4G.mp4', mp4(0xffffffff), 'video/mp4'),
    f('huge size', 'mp4-atoms-64bit-size-2^63.mp4', mp4(1n << 63n), 'video/mp4'),
    f('zero size', 'mov-atoms-size-0.mov', mov(0), 'video/mp4'),
    f('huge size', 'mov-atoms-size-4G.mov', mov(0xffffffff), 'video/mp4'),
    f('zero size', 'wav-size-0.wav', riff('WAVE', 0), 'audio/mpeg'),
    f('huge size', 'wav-size-4G.wav', riff('WAVE', 0xffffffff), 'audio/mpeg'),
    f('zero size', 'avi-size-0.avi', riff('AVI ', 0), 'video/mp4'),
    f('huge size', 'avi-size-4G.avi', riff('AVI ', 0xffffffff), 'video/mp4'),
    f('huge size', 'webm-header-unknown-size.webm', ebml('webm', UNKNOWN, 4n), 'video/webm'),
    f('huge size', 'webm-unknown-sizes.webm', ebml('webm', UNKNOWN, UNKNOWN), 'video/webm'),
    f('huge size', 'mkv-header-size-2^55.mkv', ebml('matroska', 1n << 55n, 8n), 'video/webm'),
    f('huge size', 'mkv-doctype-size-2^55.mkv', ebml('matroska', 0x1fn, 1n << 55n), 'video/webm'),
    f('zero size', 'webm-sizes-0.webm', ebml('webm', 0n, 0n), 'video/webm'),
    f('zero size', 'webm-doctype-size-0.webm', ebml('webm', 0x1fn, 0n), 'video/webm'),
    f('huge size', 'png-chunk-2G.png', pngHugeChunk(0x7fffffff), 'image/png'),
    f('zero size', 'gif-screen-0x0.gif', gifZeroScreen(), 'image/gif'),
    f('loop', 'tiff-ifd-loop-le.tif', tiffLoop('II'), 'image/png'),
    f('loop', 'tiff-ifd-loop-be.tif', tiffLoop('MM'), 'image/png'),
    f('huge size', 'zip-bogus-central-directory.zip', zipBogusDirectory(), 'application/zip'),
    f('huge size', 'zip-truncated-entry.zip', zipTruncatedEntry(), 'application/zip'),
    f('huge size', 'pdf-huge-xref.pdf', pdfLiar(), 'application/pdf'),
    f('huge size', 'ogg-255-missing-segments.ogg', oggTruncated(), 'audio/ogg'),
    f('huge size', 'opus-255-missing-segments.opus', oggTruncated('OpusHead'), 'audio/ogg'),
    f('huge size', 'id3-256MB-tag.mp3', id3Huge(), 'audio/mpeg'),
    f('bomb', 'png-claims-100000x100000.png', liarPng(100_000, 100_000), 'image/png'),
    f('bomb', 'gif-claims-65535x65535.gif', liarGif(), 'image/gif'),
    f('bomb', 'zip-bomb-50MiB-of-zeros.zip', zipBomb(50), 'application/zip'),
    f(
      'bomb',
      'gzip-bomb-100MiB-of-zeros.gz',
      gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 }),
      'application/zip',
    ),
    f('bomb', 'zip-in-zip.zip', zip('inner.zip', zipBomb(10), { deflate: true }), 'application/zip'),
    f('polyglot', 'gif-javascript.gif', gifJsPolyglot(), 'image/gif'),
    f('polyglot', 'gif-html.gif', gifHtmlPolyglot(), 'image/gif'),
    f('polyglot', 'pdf-zip.pdf', pdfZipPolyglot(), 'application/pdf'),
  ];
}

/** A GIF whose logical screen and only frame are 0×0. */
export function gifZeroScreen(): Buffer {
  const gif = Buffer.from(TINY_GIF);
  gif.writeUInt16LE(0, 6);
  gif.writeUInt16LE(0, 8);
  gif.writeUInt16LE(0, 0x1e);
  gif.writeUInt16LE(0, 0x20);
  return gif;
}
