/**
 * The charts of an evaluation, as Vega-Lite specifications: ROC curves, score
 * distributions of real and fake videos, the correlation heatmap, and FakeFinder's
 * per-dataset dot plot of TPR, TNR and accuracy with the log loss beside it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { rocCurve } from './binary-metrics';
import type { MetricSet } from './detector-metrics';
import type { EvaluationResult, MeasuredSample } from './evaluate';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const ENSEMBLE = 'ensemble (mean)';

/** Every chart of the evaluation by file stem (`roc` → roc.png and roc.svg). */
export function evaluationCharts(result: EvaluationResult): Record<string, TopLevelSpec> {
  return {
    roc: rocChart(result),
    'score-distributions': scoreDistributionChart(result),
    correlation: correlationChart(result),
    'subset-metrics': subsetMetricsChart(result),
  };
}

/** ROC curves of every detector and the ensemble, with the chance diagonal. */
export function rocChart(result: EvaluationResult): TopLevelSpec {
  const labels = result.videos.map((v) => (v.label === 'FAKE' ? 1 : 0));
  const series: Array<[string, number[]]> = [
    ...Object.keys(result.detectors).map((d): [string, number[]] => [d, result.videos.map((v) => v.scores[d]!)]),
    [ENSEMBLE, result.videos.map((v) => v.ensemble)],
  ];
  const values = series.flatMap(([name, scores]) => {
    const auc = name === ENSEMBLE ? result.ensemble.auc : result.detectors[name]!.auc;
    const curve = `${name} (AUC ${auc?.value.toFixed(3) ?? '-'})`;
    return rocCurve(scores, labels).map((p, order) => ({ curve, order, fpr: p.fpr, tpr: p.tpr }));
  });
  return {
    $schema: SCHEMA,
    title: `ROC curves on ${result.dataset} (${result.nReal} real, ${result.nFake} fake)`,
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: true, interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: { field: 'curve', type: 'nominal', title: null, legend: { orient: 'bottom-right', labelLimit: 400 } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  };
}

/** Each video's score per detector, real and fake apart, with the threshold in use. */
export function scoreDistributionChart(result: EvaluationResult): TopLevelSpec {
  const thresholdOf = (detector: string) => (detector === ENSEMBLE ? result.ensemble : result.detectors[detector]!).threshold;
  const values = result.videos.flatMap((v) =>
    [...Object.entries(v.scores), [ENSEMBLE, v.ensemble] as const].map(([detector, score]) => ({
      detector,
      score,
      label: v.label,
      video: v.name,
      threshold: thresholdOf(detector),
    })),
  );
  return {
    $schema: SCHEMA,
    title: 'Video scores P(fake) of real and fake videos (dashed: threshold in use)',
    data: { values },
    facet: { row: { field: 'detector', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left' } } },
    spec: {
      width: 420,
      height: 60,
      layer: [
        {
          mark: { type: 'tick', thickness: 2, size: 18 },
          encoding: {
            x: { field: 'score', type: 'quantitative', title: 'P(fake)', scale: { domain: [0, 1] } },
            y: { field: 'label', type: 'nominal', title: null },
            color: { field: 'label', type: 'nominal', scale: { domain: ['REAL', 'FAKE'], range: ['#1f77b4', '#d62728'] }, title: 'truth' },
          },
        },
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#333' },
          encoding: { x: { aggregate: 'mean', field: 'threshold', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** Pearson correlation of the detectors' video scores as a heatmap, with Spearman's ρ in the cells. */
export function correlationChart(result: EvaluationResult): TopLevelSpec {
  const names = Object.keys(result.correlation.pearson);
  const values = names.flatMap((a) =>
    names.map((b) => ({
      a,
      b,
      pearson: result.correlation.pearson[a]![b],
      text: `r ${fmt(result.correlation.pearson[a]![b])}\nρ ${fmt(result.correlation.spearman[a]![b])}`,
    })),
  );
  return {
    $schema: SCHEMA,
    title: "Correlation of detectors' video scores",
    data: { values },
    width: 70 * names.length,
    height: 70 * names.length,
    encoding: {
      x: { field: 'a', type: 'nominal', title: null, sort: names, axis: { labelAngle: -30 } },
      y: { field: 'b', type: 'nominal', title: null, sort: names },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'pearson', type: 'quantitative', title: 'Pearson r', scale: { domain: [-1, 1], scheme: 'redblue', reverse: true } } },
      },
      { mark: { type: 'text', fontSize: 10, lineBreak: '\n' }, encoding: { text: { field: 'text', type: 'nominal' } } },
    ],
  };
}

/** FakeFinder's figure: TPR, TNR and accuracy per dataset (subset) and detector as dots, log loss beside. */
export function subsetMetricsChart(result: EvaluationResult): TopLevelSpec {
  const samples: Array<[string, MeasuredSample]> = [['all', result], ...Object.entries(result.subsets)];
  const rates: Array<Record<string, unknown>> = [];
  const losses: Array<Record<string, unknown>> = [];
  for (const [subset, sample] of samples) {
    const sets: Array<[string, MetricSet]> = [...Object.entries(sample.detectors), [ENSEMBLE, sample.ensemble]];
    for (const [detector, m] of sets) {
      for (const [metric, estimate] of [['TPR', m.tpr], ['TNR', m.tnr], ['accuracy', m.accuracy]] as const) {
        if (estimate !== null) rates.push({ subset, detector, metric, value: estimate.value });
      }
      losses.push({ subset, detector, logLoss: m.logLoss.value });
    }
  }
  const row = { field: 'subset', type: 'nominal' as const, title: null, header: { labelAngle: 0, labelAlign: 'left' as const } };
  return {
    $schema: SCHEMA,
    title: 'Per dataset: TPR, TNR and accuracy at the threshold in use, and log loss',
    hconcat: [
      {
        data: { values: rates },
        width: 260,
        height: { step: 14 },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'rate' },
          y: { field: 'detector', type: 'nominal', title: null },
          row,
          color: { field: 'metric', type: 'nominal', title: null },
          shape: { field: 'metric', type: 'nominal', title: null },
        },
      },
      {
        data: { values: losses },
        width: 160,
        height: { step: 14 },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'logLoss', type: 'quantitative', title: 'log loss (nats)' },
          y: { field: 'detector', type: 'nominal', title: null, axis: null },
          row: { ...row, header: { labels: false } },
          color: { value: '#888' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

function fmt(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}
