// The entry of the worker threads that parse untrusted bytes for the media service (see
// worker-pool.ts and docs/media.md "Budgets for parsers"). Plain ESM that Node loads itself, from
// the sources under jest and from dist/ (copied there by `npm run build:server`): file-type is
// ESM-only, and a TypeScript file compiled to CommonJS would turn its `import()` into `require()`.
//
// One job at a time: { id, job } in, { id, ok: true, value } or { id, ok: false, error } out. The
// main thread owns the deadline and terminates this thread when it passes; the V8 heap is capped by
// the Worker's resourceLimits. Nothing here touches the store, the database or the network.
import { parentPort, workerData } from 'node:worker_threads';

const { parser, hangMarker } = workerData;

/** @type {(job: any) => Promise<unknown>} */
let handle;
if (parser === 'sniff') {
  const { fileTypeFromBuffer } = await import('file-type');
  // The MIME type file-type finds in the first bytes, or null when it knows no magic number there.
  handle = async ({ bytes }) => (await fileTypeFromBuffer(bytes))?.mime ?? null;
} else if (parser === 'thumbnail') {
  const { default: sharp } = await import('sharp');
  // libvips' operation cache helps repeated work on the same image, which a media server never does.
  sharp.cache(false);
  handle = async ({ bytes, format, side, maxInputPixels, timeoutSeconds }) => {
    const image = sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      // Checked against the header before decoding: a 100 kB PNG claiming 100k×100k pixels stops
      // here, which also bounds the native (non-V8) memory a decode may take.
      limitInputPixels: maxInputPixels,
      failOn: 'error',
      animated: false,
    });
    const meta = await image.metadata();
    // sharp also decodes SVG, TIFF, HEIF…: only ever feed it what the bytes were detected as.
    if (meta.format !== format) throw new Error(`decoder ${meta.format} does not match ${format}`);
    return (
      image
        .rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        // libvips stops by itself too; the main thread's deadline is what really bounds the time.
        .timeout({ seconds: timeoutSeconds })
        .toBuffer()
    );
  };
} else {
  throw new Error(`unknown parser ${parser}`);
}

/** Test-only (set by no environment variable): a job starting with these bytes hangs like CVE-2026-31808. */
const hang = hangMarker ? Buffer.from(hangMarker, 'latin1') : null;

parentPort.on('message', async ({ id, job }) => {
  try {
    if (hang && Buffer.from(job.bytes).subarray(0, hang.length).equals(hang)) {
      for (;;); // a parser walking in circles at 100 % CPU
    }
    const value = await handle(job);
    parentPort.postMessage({ id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
