/**
 * From per-face scores to one score per video and detector, and from detectors to an
 * ensemble verdict. Pure functions: unit-tested without a pipeline.
 */
import type { AggregationName } from '../common';

/** One face crop's score, with the track it belongs to. */
export interface FaceScore {
  trackId: number;
  score: number;
}

/**
 * The default: mean over each track's faces, then the maximum over tracks, so one fake
 * face in a crowd of real ones is not averaged away. Single-detection tracks are left
 * out when longer ones exist (a face seen once is more often a false detection).
 */
export function trackMaxScore(scores: FaceScore[]): number | undefined {
  if (scores.length === 0) return undefined;
  const byTrack = new Map<number, number[]>();
  for (const { trackId, score } of scores) {
    const list = byTrack.get(trackId) ?? [];
    list.push(score);
    byTrack.set(trackId, list);
  }
  const tracks = [...byTrack.values()];
  const lasting = tracks.filter((t) => t.length >= 2);
  const counted = lasting.length > 0 ? lasting : tracks;
  return Math.max(...counted.map(mean));
}

/**
 * The "confident strategy" of the DFDC winning solution (Selim Seferbekov,
 * github.com/selimsef/dfdc_deepfake_challenge, kernel_utils.py): when more than
 * len/2.5 (floor-divided, as there) and more than 11 scores exceed 0.8, the mean of
 * those; else when more than 90 % are below 0.2, the mean of those; else the mean of all.
 */
export function confidentStrategyScore(values: number[], threshold = 0.8): number | undefined {
  if (values.length === 0) return undefined;
  const confidentFakes = values.filter((v) => v > threshold);
  if (confidentFakes.length > Math.floor(values.length / 2.5) && confidentFakes.length > 11) {
    return mean(confidentFakes);
  }
  const confidentReals = values.filter((v) => v < 0.2);
  if (confidentReals.length > 0.9 * values.length) return mean(confidentReals);
  return mean(values);
}

/** The video's score for one detector under the named aggregation. */
export function aggregateVideoScore(scores: FaceScore[], aggregation: AggregationName): number | undefined {
  return aggregation === 'confident'
    ? confidentStrategyScore(scores.map((s) => s.score))
    : trackMaxScore(scores);
}

/** The ensemble score: the mean of the detectors' video scores. */
export function ensembleScore(detectorScores: number[]): number | undefined {
  return detectorScores.length === 0 ? undefined : mean(detectorScores);
}

/** FAKE at or above the threshold, REAL below it, UNKNOWN without a score. */
export function verdict(score: number | undefined, threshold: number): 'FAKE' | 'REAL' | 'UNKNOWN' {
  if (score === undefined) return 'UNKNOWN';
  return score >= threshold ? 'FAKE' : 'REAL';
}

function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
