import type { ByteRange } from '../storage/storage.service';

export type RangeRequest = { kind: 'full' } | ({ kind: 'partial' } & ByteRange) | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * A `Range` header against a representation of `size` bytes (RFC 9110 §14). One range is served
 * as 206; several ranges, other units and malformed headers are ignored (a full 200 answer, as the
 * RFC allows); a range that starts past the end, or any range of an empty file, is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m || m[1].includes(',')) return { kind: 'full' };
  const spec = SPEC.exec(m[1].trim());
  if (!spec || (spec[1] === '' && spec[2] === '')) return { kind: 'full' };
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(spec[1]);
  const last = spec[2] === '' ? Infinity : Number(spec[2]);
  if (last < start) return { kind: 'full' }; // "5-3" is not a range at all
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
