import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

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
