/**
 * Draws the app's PNG icons (web app manifest, apple-touch-icon, notification badge) from one SVG
 * mark, so they agree with public/favicon.svg. Run once after changing the mark, and commit the
 * PNGs in public/icons:
 *
 *   npx ts-node -T -O '{"module":"commonjs","moduleResolution":"node"}' apps/web/scripts/make-icons.ts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const OUT = join(__dirname, '../public/icons');
const BRAND = '#4f46e5';
/** The speech bubble of favicon.svg, on a 32×32 grid. */
const BUBBLE = 'M8 10h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z';

/** The favicon's look: a rounded square with the bubble, for "any" purpose icons. */
const rounded = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <rect width="32" height="32" rx="7" fill="${BRAND}"/><path d="${BUBBLE}" fill="#fff"/></svg>`;

/**
 * Maskable: the platform cuts its own shape out of a full-bleed square, keeping at least the
 * centre circle of 80 % of the width — so the background fills the square and the bubble is
 * scaled to sit well inside that circle.
 */
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <rect width="32" height="32" fill="${BRAND}"/>
  <g transform="translate(16 17) scale(0.8) translate(-16 -18)"><path d="${BUBBLE}" fill="#fff"/></g></svg>`;

/** Android's status-bar badge: only the alpha channel is used, so a white bubble on nothing. */
const badge = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
  <g transform="translate(16 17) scale(1.15) translate(-16 -18)"><path d="${BUBBLE}" fill="#fff"/></g></svg>`;

async function png(svg: string, size: number, file: string): Promise<void> {
  await sharp(Buffer.from(svg), { density: Math.ceil((72 * size) / 32) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(join(OUT, file));
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await png(rounded, 192, 'icon-192.png');
  await png(rounded, 512, 'icon-512.png');
  await png(maskable, 512, 'maskable-512.png');
  await png(maskable, 192, 'maskable-192.png');
  // iOS rounds the corners itself and shows transparency as black: a full square.
  await png(maskable.replace('scale(0.8)', 'scale(0.9)'), 180, 'apple-touch-icon.png');
  await png(badge, 72, 'badge-72.png');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
