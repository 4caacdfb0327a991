/**
 * Picks `count` frame ordinals spread uniformly over `frameCount` frames:
 * the middle frame of each of `count` equal segments, so that neither the
 * first frame (often a fade-in) nor the last one (absent when the container's
 * count is off by one) is favoured. Distinct and ascending; every frame when
 * `frameCount <= count`; empty when either is 0.
 */
export function sampleFrameIndices(frameCount: number, count: number): number[] {
  const frames = Math.max(0, Math.floor(frameCount));
  const wanted = Math.max(0, Math.floor(count));
  if (frames <= wanted) return Array.from({ length: frames }, (_, i) => i);
  // Segments are at least one frame wide, so these are strictly increasing.
  return Array.from({ length: wanted }, (_, i) => Math.floor(((2 * i + 1) * frames) / (2 * wanted)));
}

/**
 * An ffmpeg `select` filter that passes exactly the decoded frames whose
 * ordinal `n` is in `indices`. Commas are escaped for the filtergraph parser.
 * A sum of `eq` terms is evaluated once per decoded frame and costs well
 * under a microsecond per term, negligible next to decoding.
 */
export function selectFilter(indices: readonly number[]): string {
  if (indices.length === 0) throw new RangeError('selectFilter needs at least one frame index');
  return `select=${indices.map((n) => `eq(n\\,${n})`).join('+')}`;
}
