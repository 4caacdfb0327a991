/**
 * What a calibration changes: the metrics of the calibrated scores at the calibrated
 * thresholds, on the same videos (in-sample when they are the videos it was fitted on).
 */
import { calibrateDetectorScore, stackEnsembleScore, type Calibration } from '../aggregator';
import { DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED, stratifiedResamples } from './bootstrap';
import { measureScores, type MetricSet } from './detector-metrics';
import type { MeasuredSample } from './evaluate';
import type { ScoredVideo } from './score-table';

/** Detectors the calibration covers, and the stacked ensemble when it has one. */
export function measureCalibrated(
  rows: readonly ScoredVideo[],
  calibration: Calibration,
  options: { resamples?: number; seed?: number } = {},
): MeasuredSample {
  const labels = rows.map((r) => (r.label === 'FAKE' ? 1 : 0));
  const draws = stratifiedResamples(labels, { resamples: options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES, seed: options.seed ?? DEFAULT_BOOTSTRAP_SEED });
  const detectors: Record<string, MetricSet> = {};
  for (const [name, fitted] of Object.entries(calibration.detectors)) {
    if (rows.some((r) => r.scores[name] === undefined)) continue;
    detectors[name] = measureScores(rows.map((r) => calibrateDetectorScore(fitted, r.scores[name]!)), labels, fitted.threshold, draws);
  }
  const stacker = calibration.ensemble;
  const stacked = stacker ? rows.map((r) => stackEnsembleScore(stacker, r.scores)) : [];
  const ensemble =
    stacker && stacked.every((s) => s !== undefined)
      ? measureScores(stacked as number[], labels, stacker.threshold, draws)
      : measureScores(rows.map((r) => r.ensemble), labels, 0.5, draws);
  return { n: rows.length, detectors, ensemble };
}
