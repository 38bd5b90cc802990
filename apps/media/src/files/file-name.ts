/** Longest stored display name, in characters (the column holds 255; the rest is headroom). */
export const MAX_NAME_LENGTH = 200;
const MAX_EXTENSION_LENGTH = 16;

/** C0 and C1 controls and DEL: they corrupt headers and logs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Zero-width and bidirectional overrides: "invoice\u202Efdp.exe" displays as "invoiceexe.pdf". */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** Reserved on Windows, and quotes/backslashes break naive header parsers. */
const RESERVED = /[<>:"|?*]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/**
 * A display name that is safe to store, show and put in a download header: the last path segment
 * only (clients send full paths, and "../" must never survive), no control or invisible characters,
 * no leading dots, at most MAX_NAME_LENGTH characters with the extension kept. Never used in keys.
 */
export function sanitizeFileName(raw: string | null | undefined): string {
  let name = String(raw ?? '').normalize('NFC');
  name = name.split(/[/\\]/).pop() ?? '';
  name = name
    .replace(CONTROL, '')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  name = truncateKeepingExtension(name, MAX_NAME_LENGTH);
  return name || 'file';
}

function truncateKeepingExtension(name: string, max: number): string {
  const chars = Array.from(name); // code points, so a surrogate pair is never cut in half
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 1 && ext.length <= MAX_EXTENSION_LENGTH) {
    const stem = Array.from(name.slice(0, dot));
    return (
      stem
        .slice(0, max - ext.length)
        .join('')
        .trimEnd() + ext.join('')
    );
  }
  return chars.slice(0, max).join('').trimEnd();
}

/** RFC 5987 `attr-char` encoding: encodeURIComponent leaves ' ( ) * alone, which are not allowed. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `Content-Disposition` per RFC 6266: an ASCII `filename` for old clients and the exact name in
 * `filename*` (RFC 5987, UTF-8), which every current browser prefers.
 */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  // '%' too: some browsers percent-decode the plain parameter.
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

/** `photo.png` → `photo.webp`: the name a thumbnail is offered under. */
export function withExtension(name: string, ext: string): string {
  const dot = name.lastIndexOf('.');
  return `${dot > 0 ? name.slice(0, dot) : name}.${ext}`;
}
