/**
 * Every metric of one score series (a detector, or the ensemble) on a labelled sample,
 * each with its 95 % bootstrap interval. A sample with one class only (a subset of reals)
 * gets null for what needs both (AUC, average precision, balanced accuracy). Pure.
 */
import {
  averagePrecision,
  confusionMatrix,
  logLoss,
  rocAuc,
  thresholdRates,
  youdenThreshold,
  type ConfusionMatrix,
} from './binary-metrics';
import { bootstrapEstimate, type Estimate } from './bootstrap';

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
  const pick = (rows: readonly number[]) => ({ s: rows.map((i) => scores[i]!), y: rows.map((i) => labels[i]!) });
  const rate = (name: 'tpr' | 'tnr' | 'fpr' | 'accuracy' | 'balancedAccuracy') => (rows: readonly number[]) => {
    const { s, y } = pick(rows);
    return thresholdRates(confusionMatrix(s, y, threshold))[name];
  };
  const estimate = (statistic: (rows: readonly number[]) => number): Estimate => bootstrapEstimate(resamples, scores.length, statistic);
  const ranked = (metric: typeof rocAuc) => (rows: readonly number[]) => {
    const { s, y } = pick(rows);
    return metric(s, y);
  };
  return {
    n: labels.length,
    nReal,
    nFake,
    threshold,
    tpr: nFake > 0 ? estimate(rate('tpr')) : null,
    tnr: nReal > 0 ? estimate(rate('tnr')) : null,
    fpr: nReal > 0 ? estimate(rate('fpr')) : null,
    accuracy: estimate(rate('accuracy')),
    balancedAccuracy: both ? estimate(rate('balancedAccuracy')) : null,
    logLoss: estimate(ranked(logLoss)),
    auc: both ? estimate(ranked(rocAuc)) : null,
    averagePrecision: both ? estimate(ranked(averagePrecision)) : null,
    youden: both ? youdenThreshold(scores, labels) : null,
    confusion: confusionMatrix(scores, labels, threshold),
  };
}
