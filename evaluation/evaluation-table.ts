/** The table `deepsift eval` prints on standard error, in the style of `scan`'s. */
import Table from 'cli-table3';
import type { MetricSet } from './detector-metrics';
import type { EvaluationResult } from './evaluate';
import { formatEstimate, formatNumber } from './evaluation-format';

const HEAD = ['detector', 'n', 'AUC [95% CI]', 'avg precision', 'log loss', 'threshold', 'TPR', 'TNR', 'accuracy', 'balanced acc.', 'Youden thr.'];

/** One row per detector and one for the ensemble; subsets and exclusions below. */
export function evaluationTable(result: EvaluationResult): string {
  const parts = [metricsTable(result.detectors, result.ensemble)];
  for (const [subset, sample] of Object.entries(result.subsets)) {
    parts.push(`subset ${subset} (${sample.n} videos):\n${metricsTable(sample.detectors, sample.ensemble)}`);
  }
  parts.push(`${result.n} of ${result.labelled} labelled videos measured (${result.nReal} REAL, ${result.nFake} FAKE); intervals: ${result.bootstrap.resamples} stratified bootstrap resamples, seed ${result.bootstrap.seed}`);
  if (result.excluded.length > 0) {
    parts.push(`left out (${result.excluded.length}):\n${result.excluded.map((e) => `  ${e.name} [${e.label}] ${e.reason}: ${e.detail}`).join('\n')}`);
  }
  return parts.join('\n');
}

function metricsTable(detectors: Record<string, MetricSet>, ensemble: MetricSet): string {
  const table = new Table({ head: HEAD, style: { head: [], border: [] } });
  for (const [name, m] of [...Object.entries(detectors), ['ensemble (mean)', ensemble] as const]) {
    table.push([
      name,
      String(m.n),
      formatEstimate(m.auc),
      formatNumber(m.averagePrecision?.value),
      formatNumber(m.logLoss.value),
      formatNumber(m.threshold),
      formatNumber(m.tpr?.value),
      formatNumber(m.tnr?.value),
      formatNumber(m.accuracy.value),
      formatNumber(m.balancedAccuracy?.value),
      formatNumber(m.youden?.threshold),
    ]);
  }
  return table.toString();
}
