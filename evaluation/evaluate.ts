/**
 * The whole evaluation of a dataset: per detector and for the ensemble, overall and per
 * subset, the correlation between detectors, and what was left out. Pure: the command
 * gathers the reports, this measures them.
 */
import { DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED, stratifiedResamples } from './bootstrap';
import { correlationMatrices, type CorrelationMatrix } from './correlation';
import { measureScores, type MetricSet } from './detector-metrics';
import { EvaluationError } from './evaluation-error';
import type { ExcludedVideo, ScoredVideo } from './score-table';

/** Detectors and ensemble measured on one sample. */
export interface MeasuredSample {
  n: number;
  detectors: Record<string, MetricSet>;
  ensemble: MetricSet;
}

/** What `deepsift eval --json` prints and `eval.json` holds. */
export interface EvaluationResult extends MeasuredSample {
  dataset: string;
  /** Labelled videos, measured or not. */
  labelled: number;
  nReal: number;
  nFake: number;
  excluded: ExcludedVideo[];
  correlation: { pearson: CorrelationMatrix; spearman: CorrelationMatrix };
  /** Per subset (labels file `subset` column, or the folder above real/ and fake/). */
  subsets: Record<string, MeasuredSample>;
  bootstrap: { resamples: number; seed: number; method: 'stratified percentile' };
  /** The aggregation the video scores were re-computed with; absent when the reports' own were used. */
  aggregation?: string;
  /** The measured table itself, so that every figure can be checked. */
  videos: ScoredVideo[];
  /** With `--calibrate`: the file written, and the metrics of the calibrated scores on these videos (in-sample). */
  calibration?: CalibrationSummary;
}

/** What `--calibrate` wrote and what it changes. */
export interface CalibrationSummary {
  file: string;
  sha256: string;
  thresholdMethod: string;
  /** The stacker's cross-validated AUC beside the mean ensemble's. */
  stackerCrossValidatedAuc: number | null;
  meanEnsembleAuc: number;
  /** Calibrated scores at the calibrated thresholds, on the fitting videos. */
  metrics: MeasuredSample;
}

/** What to measure and at which thresholds. */
export interface EvaluateOptions {
  dataset: string;
  detectors: readonly string[];
  /** Threshold in use per detector. */
  thresholds: Record<string, number>;
  ensembleThreshold: number;
  resamples?: number;
  seed?: number;
  aggregation?: string;
}

/** Measures the scored rows; throws `ONE_CLASS` unless both REAL and FAKE videos were scored. */
export function evaluate(rows: readonly ScoredVideo[], excluded: readonly ExcludedVideo[], options: EvaluateOptions): EvaluationResult {
  const nFake = rows.filter((r) => r.label === 'FAKE').length;
  if (nFake === 0 || nFake === rows.length) {
    const only = rows.length === 0 ? 'no video' : `only ${nFake === 0 ? 'REAL' : 'FAKE'} videos`;
    throw new EvaluationError(
      'ONE_CLASS',
      `${only} could be scored (${excluded.length} of ${rows.length + excluded.length} left out): the metrics need at least one REAL and one FAKE video`,
    );
  }
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const subsets: Record<string, MeasuredSample> = {};
  const subsetNames = [...new Set(rows.flatMap((r) => (r.subset !== undefined ? [r.subset] : [])))].sort();
  for (const subset of subsetNames) subsets[subset] = measureSample(rows.filter((r) => r.subset === subset), options, resamples, seed);
  const series = Object.fromEntries(options.detectors.map((d) => [d, rows.map((r) => r.scores[d]!)]));
  return {
    dataset: options.dataset,
    labelled: rows.length + excluded.length,
    nReal: rows.length - nFake,
    nFake,
    ...measureSample(rows, options, resamples, seed),
    excluded: [...excluded],
    correlation: correlationMatrices(series),
    subsets,
    bootstrap: { resamples, seed, method: 'stratified percentile' },
    ...(options.aggregation !== undefined ? { aggregation: options.aggregation } : {}),
    videos: [...rows],
  };
}

function measureSample(rows: readonly ScoredVideo[], options: EvaluateOptions, resamples: number, seed: number): MeasuredSample {
  const labels = rows.map((r) => (r.label === 'FAKE' ? 1 : 0));
  const draws = stratifiedResamples(labels, { resamples, seed });
  const detectors: Record<string, MetricSet> = {};
  for (const detector of options.detectors) {
    detectors[detector] = measureScores(rows.map((r) => r.scores[detector]!), labels, options.thresholds[detector] ?? 0.5, draws);
  }
  return { n: rows.length, detectors, ensemble: measureScores(rows.map((r) => r.ensemble), labels, options.ensembleThreshold, draws) };
}
