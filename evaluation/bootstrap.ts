/**
 * Percentile bootstrap confidence intervals, seeded so that a run repeats. Resampling is
 * stratified (reals and fakes resampled apart, each to its own count), so every resample
 * has both classes and AUC is always defined — the usual choice for small test sets.
 */

/** Resamples drawn when none is given. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 1000;
/** Seed used when none is given. */
export const DEFAULT_BOOTSTRAP_SEED = 20181;

/** A value with its 95 % interval (null bounds when no resample gave a finite value). */
export interface Estimate {
  value: number;
  ci95: [number, number] | null;
}

/** Mulberry32: a small, fast, seedable PRNG with good statistical quality for resampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many resamples to draw, and from which seed. */
export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

/**
 * Row indices of `resamples` stratified resamples of a sample labelled `labels` (each class
 * drawn with replacement to its own size). The same seed and labels give the same rows.
 */
export function stratifiedResamples(labels: readonly number[], options: BootstrapOptions = {}): number[][] {
  const random = seededRandom(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const byClass = [0, 1].map((c) => labels.flatMap((l, i) => (l === c ? [i] : [])));
  const out: number[][] = [];
  for (let r = 0; r < (options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES); r++) {
    const rows: number[] = [];
    for (const members of byClass) {
      for (let k = 0; k < members.length; k++) rows.push(members[Math.floor(random() * members.length)]!);
    }
    out.push(rows);
  }
  return out;
}

/** The 2.5th and 97.5th percentiles (linear interpolation) of the finite values; null when none. */
export function percentileInterval(values: readonly number[]): [number, number] | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return [quantile(sorted, 0.025), quantile(sorted, 0.975)];
}

/** `statistic` on the sample and its 95 % percentile interval over the resamples. */
export function bootstrapEstimate(rowsOfResamples: readonly number[][], sampleSize: number, statistic: (rows: readonly number[]) => number): Estimate {
  const all = Array.from({ length: sampleSize }, (_, i) => i);
  return { value: statistic(all), ci95: percentileInterval(rowsOfResamples.map((rows) => statistic(rows))) };
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}
