/** `eval.md`: the evaluation as a Markdown page, with the charts linked. */
import type { MetricSet } from './detector-metrics';
import type { EvaluationResult } from './evaluate';
import { formatEstimate, formatNumber } from './evaluation-format';

/** The page; `charts` are file names next to it, shown as images. */
export function evaluationMarkdown(result: EvaluationResult, charts: readonly string[] = []): string {
  const lines: string[] = [
    `# deepsift evaluation of ${result.dataset}`,
    '',
    `${result.n} of ${result.labelled} labelled videos measured (${result.nReal} REAL, ${result.nFake} FAKE). ` +
      `Scores are P(fake); a video is FAKE when its score is at or above the threshold. ` +
      `Intervals are 95 % percentile intervals of ${result.bootstrap.resamples} stratified bootstrap resamples (seed ${result.bootstrap.seed}).` +
      (result.aggregation ? ` Video scores re-aggregated with \`${result.aggregation}\`.` : ''),
    '',
    ...metricsTable(result.detectors, result.ensemble),
  ];
  for (const [subset, sample] of Object.entries(result.subsets)) {
    lines.push('', `## Subset ${subset} (${sample.n} videos)`, '', ...metricsTable(sample.detectors, sample.ensemble));
  }
  lines.push('', '## Confusion matrices (at the threshold in use)', '', '| detector | threshold | TP | FN | TN | FP |', '| --- | --- | --- | --- | --- | --- |');
  for (const [name, m] of entries(result.detectors, result.ensemble)) {
    lines.push(`| ${name} | ${formatNumber(m.threshold)} | ${m.confusion.tp} | ${m.confusion.fn} | ${m.confusion.tn} | ${m.confusion.fp} |`);
  }
  const names = Object.keys(result.correlation.pearson);
  lines.push('', "## Correlation between detectors' video scores (Pearson / Spearman)", '', `| | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---').join(' | ')} |`);
  for (const a of names) {
    lines.push(`| ${a} | ${names.map((b) => `${formatNumber(result.correlation.pearson[a]![b], 2)} / ${formatNumber(result.correlation.spearman[a]![b], 2)}`).join(' | ')} |`);
  }
  if (result.excluded.length > 0) {
    lines.push('', '## Left out', '', '| video | label | reason | detail |', '| --- | --- | --- | --- |');
    for (const e of result.excluded) lines.push(`| ${e.name} | ${e.label} | ${e.reason} | ${e.detail.replace(/\|/g, '\\|')} |`);
  }
  if (charts.length > 0) {
    lines.push('', '## Charts', '');
    for (const chart of charts) lines.push(`![${chart}](${chart})`, '');
  }
  return lines.join('\n') + '\n';
}

function metricsTable(detectors: Record<string, MetricSet>, ensemble: MetricSet): string[] {
  const rows = [
    '| detector | n | AUC | average precision | log loss | threshold | TPR | TNR | accuracy | balanced accuracy | Youden threshold (J) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, m] of entries(detectors, ensemble)) {
    rows.push(
      `| ${name} | ${m.n} | ${formatEstimate(m.auc)} | ${formatEstimate(m.averagePrecision)} | ${formatEstimate(m.logLoss)} | ${formatNumber(m.threshold)} | ` +
        `${formatEstimate(m.tpr)} | ${formatEstimate(m.tnr)} | ${formatEstimate(m.accuracy)} | ${formatEstimate(m.balancedAccuracy)} | ` +
        `${m.youden ? `${formatNumber(m.youden.threshold)} (${formatNumber(m.youden.j)})` : '-'} |`,
    );
  }
  return rows;
}

function entries(detectors: Record<string, MetricSet>, ensemble: MetricSet): Array<[string, MetricSet]> {
  return [...Object.entries(detectors), ['ensemble (mean)', ensemble]];
}
