/**
 * Fits a calibration (see aggregator/calibration.ts) on a scored, labelled table:
 * per detector a Platt scaling (Platt 1999, with his smoothed targets
 * (N₊+1)/(N₊+2) and 1/(N₋+2) against over-confidence on small sets) and a threshold on
 * the calibrated P(fake) — Youden's J or the lowest within a target FPR; for the ensemble
 * a logistic-regression stacker over the detectors' logits, its AUC estimated by
 * stratified k-fold cross-validation. Thresholds are chosen on the fitting data itself
 * (in-sample), so they are optimistic on it. Pure.
 */
import {
  CALIBRATION_SCHEMA_VERSION,
  calibrateDetectorScore,
  logit,
  stackEnsembleScore,
  type Calibration,
  type DetectorCalibration,
  type EnsembleCalibration,
} from '../aggregator';
import { rocAuc, thresholdForFpr, youdenThreshold } from './binary-metrics';
import { DEFAULT_BOOTSTRAP_SEED, seededRandom } from './bootstrap';
import { EvaluationError } from './evaluation-error';
import { fitLogistic, predictLogistic } from './logistic-regression';
import type { ScoredVideo } from './score-table';

/** Folds of the stacker's cross-validation (fewer when a class has fewer videos). */
export const DEFAULT_CV_FOLDS = 5;
/** L2 penalty of the stacker: several correlated logits on a few dozen videos need more than Platt's single slope. */
export const STACKER_L2 = 1;
/** L2 penalty of a Platt scaling (the smoothed targets already keep it finite). */
export const PLATT_L2 = 1e-2;

/** The detectors to calibrate, how to pick thresholds, and what to record about the fit. */
export interface FitCalibrationOptions {
  detectors: readonly string[];
  /** Youden's J when undefined; else the lowest threshold whose FPR is at most this. */
  targetFpr?: number;
  folds?: number;
  seed?: number;
  dataset: string;
  aggregation: string | null;
  framesPerVideo: number | null;
  deepsiftVersion: string;
  now?: Date;
}

/** Fits every detector's Platt scaling and threshold and the ensemble stacker. */
export function fitCalibration(rows: readonly ScoredVideo[], options: FitCalibrationOptions): Calibration {
  const labels = rows.map((r) => (r.label === 'FAKE' ? 1 : 0));
  const nFake = labels.filter((l) => l === 1).length;
  const nReal = labels.length - nFake;
  if (nFake === 0 || nReal === 0) {
    throw new EvaluationError('ONE_CLASS', 'a calibration needs at least one REAL and one FAKE scored video');
  }
  const targets = labels.map((l) => (l === 1 ? (nFake + 1) / (nFake + 2) : 1 / (nReal + 2)));
  const pickThreshold = (scores: number[]) => {
    const chosen = options.targetFpr === undefined ? youdenThreshold(scores, labels).threshold : thresholdForFpr(scores, labels, options.targetFpr).threshold;
    return midpointBelow(chosen, scores);
  };

  const detectors: Record<string, DetectorCalibration> = {};
  for (const detector of options.detectors) {
    const model = fitLogistic(rows.map((r) => [logit(r.scores[detector]!)]), targets, { l2: PLATT_L2 });
    const platt = { a: model.weights[0]!, b: model.intercept };
    const calibrated = rows.map((r) => calibrateDetectorScore({ platt, threshold: 0 }, r.scores[detector]!));
    detectors[detector] = { platt, threshold: pickThreshold(calibrated) };
  }

  const features = (r: ScoredVideo) => options.detectors.map((d) => logit(r.scores[d]!));
  const stacker = fitLogistic(rows.map(features), targets, { l2: STACKER_L2 });
  const weights = Object.fromEntries(options.detectors.map((d, i) => [d, stacker.weights[i]!]));
  const partial: Omit<EnsembleCalibration, 'threshold'> = {
    intercept: stacker.intercept,
    weights,
    ...crossValidate(rows, labels, targets, features, options),
    meanEnsembleAuc: rocAuc(rows.map((r) => r.ensemble), labels),
  };
  const stacked = rows.map((r) => stackEnsembleScore({ ...partial, threshold: 0 }, r.scores)!);
  return {
    kind: 'deepsift-calibration',
    schemaVersion: CALIBRATION_SCHEMA_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    deepsiftVersion: options.deepsiftVersion,
    thresholdMethod: options.targetFpr === undefined ? { name: 'youden' } : { name: 'target-fpr', targetFpr: options.targetFpr },
    fittedOn: { dataset: options.dataset, n: rows.length, nReal, nFake, aggregation: options.aggregation, framesPerVideo: options.framesPerVideo },
    detectors,
    ensemble: { ...partial, threshold: pickThreshold(stacked) },
  };
}

/** Out-of-fold stacker probabilities over stratified folds → their AUC. */
function crossValidate(
  rows: readonly ScoredVideo[],
  labels: number[],
  targets: number[],
  features: (r: ScoredVideo) => number[],
  options: FitCalibrationOptions,
): { crossValidatedAuc: number | null; folds: number } {
  const smallest = Math.min(labels.filter((l) => l === 1).length, labels.filter((l) => l === 0).length);
  const folds = Math.min(options.folds ?? DEFAULT_CV_FOLDS, smallest);
  if (folds < 2) return { crossValidatedAuc: null, folds: 0 };
  const random = seededRandom(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const foldOf = new Array<number>(rows.length);
  for (const label of [0, 1]) {
    const members = labels.flatMap((l, i) => (l === label ? [i] : []));
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    members.forEach((row, k) => (foldOf[row] = k % folds));
  }
  const outOfFold = new Array<number>(rows.length);
  for (let fold = 0; fold < folds; fold++) {
    const train = rows.flatMap((_, i) => (foldOf[i] !== fold ? [i] : []));
    const model = fitLogistic(train.map((i) => features(rows[i]!)), train.map((i) => targets[i]!), { l2: STACKER_L2 });
    rows.forEach((r, i) => {
      if (foldOf[i] === fold) outOfFold[i] = predictLogistic(model, features(r));
    });
  }
  return { crossValidatedAuc: rocAuc(outOfFold, labels), folds };
}

/**
 * Halfway between the chosen threshold (one of the scores) and the next lower score, so
 * that the same verdicts come out on these videos and scores near the boundary on new ones
 * are not decided by a rounding error.
 */
function midpointBelow(threshold: number, scores: readonly number[]): number {
  const lower = scores.filter((s) => s < threshold);
  if (lower.length === 0) return threshold;
  return (threshold + Math.max(...lower)) / 2;
}
