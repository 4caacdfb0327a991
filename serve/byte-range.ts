/**
 * HTTP range requests (RFC 9110 §14): one range of `bytes=` is served as 206; several
 * ranges are served whole (200), which the RFC allows; a range past the end is 416.
 */

/** What to answer a `Range` header with. */
export type RangeAnswer =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/** Reads a `Range` header against a resource of `sizeBytes` bytes. */
export function parseByteRange(header: string | undefined, sizeBytes: number): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  const [, first, last] = match as unknown as [string, string, string];
  let start: number;
  let end: number;
  if (first === '') {
    // A suffix: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, sizeBytes - suffix);
    end = sizeBytes - 1;
  } else {
    start = Number(first);
    end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
    if (last !== '' && Number(last) < start) return { kind: 'whole' };
  }
  if (start >= sizeBytes || sizeBytes === 0) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
