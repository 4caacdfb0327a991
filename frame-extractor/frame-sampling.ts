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

/**
 * `count` sampling times spread uniformly over `durationSeconds`: the middle of each of
 * `count` equal segments, in seconds from the first frame.
 */
export function sampleTimes(durationSeconds: number, count: number): number[] {
  const wanted = Math.max(0, Math.floor(count));
  if (!(durationSeconds > 0)) return [];
  return Array.from({ length: wanted }, (_, i) => ((2 * i + 1) * durationSeconds) / (2 * wanted));
}

/**
 * An ffmpeg `select` filter that passes the first decoded frame at or after each time in
 * `times` (seconds, timestamps starting at 0): a frame is taken when a sampling time falls
 * in (previous frame's time, its time]. A frame that several times fall on is taken once.
 */
export function timeSelectFilter(times: readonly number[]): string {
  if (times.length === 0) throw new RangeError('timeSelectFilter needs at least one time');
  const terms = times.map((t) => {
    const at = t.toFixed(6);
    return `(isnan(prev_t)+gt(${at}\\,prev_t))*lte(${at}\\,t)`;
  });
  return `select=gt(${terms.join('+')}\\,0)`;
}
