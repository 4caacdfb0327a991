/**
 * From reports to the table that is measured: one row per labelled video with each
 * detector's uncalibrated video score and the ensemble (their mean). Videos that cannot
 * be scored — failed scans, no face, a detector missing or without a score (LRNet with no
 * face in its clips, or a video too short for one) — are listed apart with the reason,
 * never scored 0.5, so that every detector and the ensemble are measured on the same
 * videos. Pure.
 */
import { TEMPORAL_AGGREGATION, aggregateVideoScore, ensembleScore, type FaceScore, type VideoReport } from '../aggregator';
import type { AggregationName } from '../common';
import type { LabelledVideo, TruthLabel } from './labelled-videos';

/** One measured video. */
export interface ScoredVideo {
  name: string;
  label: TruthLabel;
  subset?: string;
  videoId: string;
  /** Uncalibrated P(fake) per detector. */
  scores: Record<string, number>;
  /** Mean of the detectors' scores. */
  ensemble: number;
}

/** Why a labelled video is not in the table. */
export type ExclusionReason = 'SCAN_FAILED' | 'NO_FACE' | 'MISSING_DETECTOR' | 'DUPLICATE_CONTENT';

/** A labelled video left out of the metrics, with the reason. */
export interface ExcludedVideo {
  name: string;
  label: TruthLabel;
  videoId: string;
  reason: ExclusionReason;
  detail: string;
}

/** A labelled video with the report of its bytes. */
export interface ReportedVideo {
  video: LabelledVideo;
  videoId: string;
  report: VideoReport;
}

/** The detectors to take, and an optional re-aggregation of their face scores. */
export interface ScoreTableOptions {
  detectors: readonly string[];
  /** Re-aggregates each detector's face scores this way; default: the report's own video scores. */
  aggregation?: AggregationName;
}

/** Splits reported videos into scored rows and excluded ones. */
export function buildScoreTable(videos: readonly ReportedVideo[], options: ScoreTableOptions): { rows: ScoredVideo[]; excluded: ExcludedVideo[] } {
  const rows: ScoredVideo[] = [];
  const excluded: ExcludedVideo[] = [];
  const firstByContent = new Map<string, string>();
  for (const { video, videoId, report } of videos) {
    const leaveOut = (reason: ExclusionReason, detail: string) => excluded.push({ name: video.name, label: video.label, videoId, reason, detail });
    const first = firstByContent.get(videoId);
    if (first !== undefined) {
      leaveOut('DUPLICATE_CONTENT', `same bytes as ${first}`);
      continue;
    }
    firstByContent.set(videoId, video.name);
    if (report.status === 'failed') {
      leaveOut('SCAN_FAILED', `${report.error?.code ?? 'FAILED'}: ${report.error?.message ?? 'the scan failed'}`);
      continue;
    }
    if (report.frames.withFaces === 0 || report.faces.length === 0) {
      leaveOut('NO_FACE', `no face found in ${report.frames.sampled} sampled frame(s)`);
      continue;
    }
    const scores: Record<string, number> = {};
    const missing: string[] = [];
    for (const detector of options.detectors) {
      const score = detectorScore(report, detector, options.aggregation);
      if (score === undefined) missing.push(detector);
      else scores[detector] = score;
    }
    if (missing.length > 0) {
      leaveOut('MISSING_DETECTOR', `no score from ${missing.map((d) => withReason(report, d)).join(', ')}`);
      continue;
    }
    rows.push({
      name: video.name,
      label: video.label,
      ...(video.subset !== undefined ? { subset: video.subset } : {}),
      videoId,
      scores,
      ensemble: ensembleScore(Object.values(scores))!,
    });
  }
  return { rows, excluded };
}

/**
 * A detector's uncalibrated video score in a report, re-aggregated from its faces when asked.
 * A temporal detector (LRNet) keeps its mean block score: it scored clips, not the faces.
 */
export function detectorScore(report: VideoReport, detector: string, aggregation?: AggregationName): number | undefined {
  const result = report.detectors[detector];
  if (aggregation !== undefined && result?.aggregation !== TEMPORAL_AGGREGATION) {
    const faces: FaceScore[] = [];
    for (const track of report.faces) {
      for (const frame of track.frames) {
        const score = frame.scores[detector];
        if (score !== undefined) faces.push({ trackId: track.trackId, score });
      }
    }
    return aggregateVideoScore(faces, aggregation);
  }
  const score = result?.rawScore ?? result?.score;
  return score === null || score === undefined ? undefined : score;
}

/** A detector's name with the report's reason for its missing score, when it gave one (temporal detectors do). */
function withReason(report: VideoReport, detector: string): string {
  const reason = report.detectors[detector]?.reason;
  return reason === undefined ? detector : `${detector} (${reason})`;
}
