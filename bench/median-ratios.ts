/**
 * Medians of ratios over repeated bench runs. On a shared or noisy machine one run says
 * little (the same build's K = 16 scan has ranged 1.44 to 1.61 × plain decode on one day);
 * runs that alternate the two things compared, each meeting the same load, and their median
 * say more.
 */

/** The middle value, or the mean of the two middle ones; undefined for no values. */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One embedded run: the scan's time and the plain decode's just before it. */
export interface ScanRun {
  k: number;
  scanMs: number;
  plainMs: number;
  /** The scan's start-up, when its log told it. */
  startupMs: number | undefined;
}

/**
 * A line per K run more than once: scan / plain decode of each run, in run order, and their
 * median, with and without the scan's start-up.
 */
export function scanRatioMedians(runs: ScanRun[]): string[] {
  const byK = new Map<number, ScanRun[]>();
  for (const run of runs) byK.set(run.k, [...(byK.get(run.k) ?? []), run]);
  const lines: string[] = [];
  for (const [k, ofK] of byK) {
    if (ofK.length < 2) continue;
    const listed = (ratios: number[]): string => `${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios)!.toFixed(2)}`;
    const ratios = ofK.map((r) => r.scanMs / r.plainMs);
    const steady = ofK.every((r) => r.startupMs !== undefined) ? ofK.map((r) => (r.scanMs - r.startupMs!) / r.plainMs) : undefined;
    lines.push(`K=${k}: scan / plain decode over ${ofK.length} alternating runs: ${listed(ratios)}${steady ? ` (w/o start-up: ${listed(steady)})` : ''}`);
  }
  return lines;
}
