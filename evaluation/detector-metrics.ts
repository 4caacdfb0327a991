/**
 * Every metric of one score series (a detector, or the ensemble) on a labelled sample,
 * each with its 95 % bootstrap interval. A sample with one class only (a subset of reals)
 * gets null for what needs both (AUC, average precision, balanced accuracy). Pure.
 */
import { confusionMatrix, logLoss, rankingMetrics, thresholdRates, youdenThreshold, type ConfusionMatrix } from './binary-metrics';
import { percentileInterval, type Estimate } from './bootstrap';

/** The metrics of one detector (or the ensemble). */
export interface MetricSet {
  n: number;
  nReal: number;
  nFake: number;
  /** The threshold the rates below are taken at (score ≥ threshold is FAKE). */
  threshold: number;
  tpr: Estimate | null;
  tnr: Estimate | null;
  fpr: Estimate | null;
  accuracy: Estimate;
  balancedAccuracy: Estimate | null;
  logLoss: Estimate;
  auc: Estimate | null;
  averagePrecision: Estimate | null;
  /** The threshold maximising Youden's J = TPR − FPR on this sample. */
  youden: { threshold: number; j: number } | null;
  confusion: ConfusionMatrix;
}

type Statistic = 'tpr' | 'tnr' | 'fpr' | 'accuracy' | 'balancedAccuracy' | 'logLoss' | 'auc' | 'averagePrecision';

/** Every statistic of one sample, from one confusion matrix and one sort. */
function statistics(scores: readonly number[], labels: readonly number[], threshold: number, both: boolean): Record<Statistic, number> {
  const ranking = both ? rankingMetrics(scores, labels) : { auc: NaN, averagePrecision: NaN };
  return { ...thresholdRates(confusionMatrix(scores, labels, threshold)), logLoss: logLoss(scores, labels), ...ranking };
}

/** Measures `scores` against `labels` (1 = FAKE) at `threshold`, intervals over `resamples` (row indices). */
export function measureScores(
  scores: readonly number[],
  labels: readonly number[],
  threshold: number,
  resamples: readonly number[][],
): MetricSet {
  const nFake = labels.filter((l) => l === 1).length;
  const nReal = labels.length - nFake;
  const both = nFake > 0 && nReal > 0;
  const point = statistics(scores, labels, threshold, both);
  const drawn = resamples.map((rows) => statistics(rows.map((i) => scores[i]!), rows.map((i) => labels[i]!), threshold, both));
  const estimate = (name: Statistic): Estimate => ({ value: point[name], ci95: percentileInterval(drawn.map((d) => d[name])) });
  return {
    n: labels.length,
    nReal,
    nFake,
    threshold,
    tpr: nFake > 0 ? estimate('tpr') : null,
    tnr: nReal > 0 ? estimate('tnr') : null,
    fpr: nReal > 0 ? estimate('fpr') : null,
    accuracy: estimate('accuracy'),
    balancedAccuracy: both ? estimate('balancedAccuracy') : null,
    logLoss: estimate('logLoss'),
    auc: both ? estimate('auc') : null,
    averagePrecision: both ? estimate('averagePrecision') : null,
    youden: both ? youdenThreshold(scores, labels) : null,
    confusion: confusionMatrix(scores, labels, threshold),
  };
}
