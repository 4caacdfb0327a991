/**
 * Metrics of a binary detector on a labelled sample. Labels are 1 for FAKE (the positive
 * class) and 0 for REAL; scores are P(fake) in [0, 1]; a video is called FAKE when its
 * score is at or above the threshold, as in the reports. Pure functions.
 */
import { EvaluationError } from './evaluation-error';

/** Probabilities are clipped to [ε, 1 − ε] before the logarithm, as the DFDC scored (ε = 1e-15). */
export const LOG_LOSS_EPSILON = 1e-15;

/** Counts at one threshold; positive = FAKE. */
export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Rates at one threshold. */
export interface ThresholdRates {
  tpr: number;
  tnr: number;
  fpr: number;
  accuracy: number;
  balancedAccuracy: number;
}

/** One point of a ROC curve: calling FAKE every score ≥ `threshold` gives these rates. */
export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

/** Throws unless scores and labels pair up, scores are in [0, 1], and (unless told otherwise) both classes occur. */
export function assertScoredSample(scores: readonly number[], labels: readonly number[], requireBothClasses = true): void {
  if (scores.length !== labels.length) {
    throw new EvaluationError('BAD_SCORES', `${scores.length} scores but ${labels.length} labels`);
  }
  if (scores.length === 0) throw new EvaluationError('EMPTY_DATASET', 'no scored video to measure');
  for (const [i, score] of scores.entries()) {
    if (!Number.isFinite(score) || score < 0 || score > 1) {
      throw new EvaluationError('BAD_SCORES', `score ${score} of item ${i} is not a probability in [0, 1]`);
    }
    if (labels[i] !== 0 && labels[i] !== 1) throw new EvaluationError('BAD_SCORES', `label ${labels[i]} of item ${i} is not 0 or 1`);
  }
  const fakes = labels.filter((l) => l === 1).length;
  if (requireBothClasses && (fakes === 0 || fakes === labels.length)) {
    const only = fakes === 0 ? 'REAL' : 'FAKE';
    throw new EvaluationError('ONE_CLASS', `all ${labels.length} scored videos are ${only}: the metrics need at least one REAL and one FAKE video`);
  }
}

/**
 * Area under the ROC curve: the probability that a random fake scores above a random
 * real, ties counting one half (the Mann–Whitney U statistic over nFake·nReal).
 */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  assertScoredSample(scores, labels);
  return rankingMetrics(scores, labels).auc;
}

/**
 * Average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct thresholds from the highest
 * score down (scikit-learn's definition; tied scores enter together).
 */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): number {
  assertScoredSample(scores, labels);
  return rankingMetrics(scores, labels).averagePrecision;
}

/**
 * AUC and average precision from one sort (the bootstrap computes both thousands of times).
 * AUC is the trapezoidal area under the ROC steps, which equals the Mann–Whitney statistic
 * with ties counted one half. The caller has checked the sample.
 */
export function rankingMetrics(scores: readonly number[], labels: readonly number[]): { auc: number; averagePrecision: number } {
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  let area = 0;
  let ap = 0;
  let previous = { tp: 0, fp: 0 };
  for (const { tp, fp } of cumulativeCounts(scores, labels)) {
    area += ((fp - previous.fp) * (tp + previous.tp)) / 2;
    ap += ((tp - previous.tp) / positives) * (tp / (tp + fp));
    previous = { tp, fp };
  }
  return { auc: area / (positives * negatives), averagePrecision: ap };
}

/** Mean binary cross-entropy in nats, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(scores: readonly number[], labels: readonly number[]): number {
  assertScoredSample(scores, labels, false);
  let sum = 0;
  for (const [i, raw] of scores.entries()) {
    const p = Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, raw));
    sum += labels[i] === 1 ? -Math.log(p) : -Math.log(1 - p);
  }
  return sum / scores.length;
}

/** The confusion matrix when every score ≥ `threshold` is called FAKE. */
export function confusionMatrix(scores: readonly number[], labels: readonly number[], threshold: number): ConfusionMatrix {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const [i, score] of scores.entries()) {
    const fake = score >= threshold;
    if (labels[i] === 1) fake ? counts.tp++ : counts.fn++;
    else fake ? counts.fp++ : counts.tn++;
  }
  return counts;
}

/** TPR, TNR, FPR, accuracy and balanced accuracy of a confusion matrix. */
export function thresholdRates(m: ConfusionMatrix): ThresholdRates {
  const tpr = m.tp / (m.tp + m.fn);
  const tnr = m.tn / (m.tn + m.fp);
  return { tpr, tnr, fpr: m.fp / (m.tn + m.fp), accuracy: (m.tp + m.tn) / (m.tp + m.tn + m.fp + m.fn), balancedAccuracy: (tpr + tnr) / 2 };
}

/** The ROC curve from (0, 0) to (1, 1), one point per distinct score, highest threshold first. */
export function rocCurve(scores: readonly number[], labels: readonly number[]): RocPoint[] {
  assertScoredSample(scores, labels);
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  for (const { threshold, tp, fp } of cumulativeCounts(scores, labels)) {
    points.push({ threshold, fpr: fp / negatives, tpr: tp / positives });
  }
  return points;
}

/**
 * The threshold that maximises Youden's J = TPR − FPR (Youden 1950), among the scores
 * themselves; ties go to the highest threshold (fewer false alarms).
 */
export function youdenThreshold(scores: readonly number[], labels: readonly number[]): { threshold: number; j: number } {
  let best = { threshold: 1, j: -Infinity };
  for (const point of rocCurve(scores, labels).slice(1)) {
    const j = point.tpr - point.fpr;
    if (j > best.j + 1e-12) best = { threshold: point.threshold, j };
  }
  return best;
}

/** The lowest threshold (most fakes caught) whose false positive rate is at most `targetFpr`. */
export function thresholdForFpr(scores: readonly number[], labels: readonly number[], targetFpr: number): { threshold: number; fpr: number; tpr: number } {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new EvaluationError('BAD_SCORES', `target FPR ${targetFpr} is not in [0, 1]`);
  let best = { threshold: Math.min(1, Math.max(...scores) + 1e-9), fpr: 0, tpr: 0 };
  for (const point of rocCurve(scores, labels).slice(1)) {
    if (point.fpr <= targetFpr + 1e-12) best = { threshold: point.threshold, fpr: point.fpr, tpr: point.tpr };
  }
  return best;
}

/** True/false positives when calling FAKE at each distinct score, from the highest down. */
function cumulativeCounts(scores: readonly number[], labels: readonly number[]): Array<{ threshold: number; tp: number; fp: number }> {
  const order = scores.map((s, i) => ({ s, y: labels[i]! })).sort((a, b) => b.s - a.s);
  const out: Array<{ threshold: number; tp: number; fp: number }> = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (order[k]!.y === 1) tp++;
    else fp++;
    if (k + 1 === order.length || order[k + 1]!.s !== order[k]!.s) out.push({ threshold: order[k]!.s, tp, fp });
  }
  return out;
}
