/**
 * Types a browser may render inline from our origin. Raster images only: never SVG or HTML, which
 * can carry script.
 */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const TEXT_PLAIN = 'text/plain';
export const OCTET_STREAM = 'application/octet-stream';

const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'audio/mp3': 'audio/mpeg',
  'audio/x-mpeg': 'audio/mpeg',
  'application/x-zip-compressed': 'application/zip',
  'application/x-pdf': 'application/pdf',
};

/** `Image/JPG; foo=bar` → `image/jpeg`: lower case, no parameters, common aliases folded. */
export function normalizeMime(type: string): string {
  const bare = type.split(';')[0].trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

/** Whether `type` is on the allowlist, whose entries are exact types or `major/*`. */
export function isAllowedType(type: string, allowlist: readonly string[]): boolean {
  const major = type.split('/')[0];
  return allowlist.some((entry) => entry === type || entry === `${major}/*`);
}

export function isInlineImage(type: string): boolean {
  return INLINE_TYPES.has(type);
}

/** The `Content-Type` header for a stored type (text is always UTF-8: that is how it was detected). */
export function contentTypeHeader(type: string): string {
  return type === TEXT_PLAIN ? 'text/plain; charset=utf-8' : type;
}
