import type { FileInfo } from '@chat/contracts';
import { formatBytes } from './format';

/**
 * The media service's defaults (MEDIA_MAX_BYTES 25 MiB and its type allowlist), checked before
 * an upload starts so people hear "too large" at once, not after sending 30 MB. The server stays
 * the judge: its 413/415 are shown the same way if an operator set other limits.
 */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
export const ALLOWED_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'application/zip',
  'application/x-zip-compressed',
  'audio/mpeg',
  'audio/ogg',
  'video/mp4',
  'video/webm',
];

/** Image types the media service serves inline (previews). */
export const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const isPreviewable = (f: Pick<FileInfo, 'contentType'>): boolean => PREVIEWABLE.has(f.contentType);

/** Why a file cannot be sent, or null when it can (as far as the client can tell). */
export function checkFile(
  f: { name: string; size: number; type: string },
  maxBytes = MAX_UPLOAD_BYTES,
): string | null {
  if (f.size === 0) return `${f.name} is empty.`;
  if (f.size > maxBytes) {
    return `${f.name} is too large (${formatBytes(f.size)}). The limit is ${formatBytes(maxBytes)}.`;
  }
  // No type, or the generic one: the browser does not know, so the server's look at the bytes decides.
  if (f.type && f.type !== 'application/octet-stream' && !ALLOWED_TYPES.includes(f.type)) {
    return `${f.name}: files of this type (${f.type}) cannot be shared.`;
  }
  return null;
}
