/** Correlation between detectors' video scores (FakeFinder reported it to show which detectors agree). Pure. */

/** Pearson's r; null when either series is constant (r is undefined). */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n !== y.length || n < 2) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ: Pearson's r of the ranks, ties sharing their mean rank. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  return pearson(averageRanks(x), averageRanks(y));
}

/** A square matrix keyed by series name: `matrix[a][b]`. */
export type CorrelationMatrix = Record<string, Record<string, number | null>>;

/** Pearson and Spearman matrices of several named series of equal length. */
export function correlationMatrices(series: Record<string, readonly number[]>): { pearson: CorrelationMatrix; spearman: CorrelationMatrix } {
  const names = Object.keys(series);
  const out = { pearson: {} as CorrelationMatrix, spearman: {} as CorrelationMatrix };
  for (const a of names) {
    out.pearson[a] = {};
    out.spearman[a] = {};
    for (const b of names) {
      out.pearson[a]![b] = pearson(series[a]!, series[b]!);
      out.spearman[a]![b] = spearman(series[a]!, series[b]!);
    }
  }
  return out;
}

/** Ranks 1..n, tied values sharing the mean of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = rank;
    start = end + 1;
  }
  return ranks;
}
