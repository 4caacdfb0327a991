/**
 * The per-video report: what deepsift tells its users. Versioned; its JSON Schema is
 * `aggregator/report-schema.json`, documented in the README.
 */
import { SchemaValidator, type Box, type ClipScores, type ClipSettings, type FailureCode, type StageName, type TrackBlockScores, type VideoInfo } from '../common';
import reportSchema from './report-schema.json';

export const REPORT_SCHEMA_VERSION = 1;

export type Label = 'FAKE' | 'REAL' | 'UNKNOWN';

/** One detector's result for a video. */
export interface DetectorResult {
  /** P(fake) for the video (calibrated when a calibration applied), or null when no face was scored. */
  score: number | null;
  /** With a calibration: the detector's uncalibrated score, which `score` was calibrated from. */
  rawScore?: number | null;
  label: Label;
  /** `label` is FAKE when `score` ≥ this. */
  threshold: number;
  aggregation: string;
  /** Face crops scored; for a temporal detector, its clips that gave landmark blocks. */
  facesScored: number;
  /** Temporal detectors: P(fake) of each 30-frame block, per dense clip (by the clip's first frame) and face track, or why there are none. */
  clips?: ClipScores[];
  /** Temporal detectors: each face track's mean block score over all clips; `score` is the highest. */
  tracks?: TrackBlockScores[];
  /** Temporal detectors: why there is no score (no clip with a face, a video shorter than one clip). */
  reason?: string;
}

/** One face of one sampled frame, as scored. */
export interface FaceFrame {
  frameIndex: number;
  ptsSeconds: number;
  box: Box;
  faceScore: number;
  /** P(fake) by detector. */
  scores: Record<string, number>;
}

/** A face followed across sampled frames. */
export interface FaceTrackReport {
  trackId: number;
  /** Mean P(fake) over the track's frames, by detector. */
  scores: Record<string, number>;
  frames: FaceFrame[];
}

/** Which calibration produced a report's verdicts. */
export interface ReportCalibration {
  /** Absolute path of the calibration file. */
  source: string;
  /** SHA-256 of its bytes. */
  sha256: string;
  /** Detectors (and `ensemble`) whose scores it calibrated in this report. */
  applied: string[];
}

/** A model used for the report, with the SHA-256 of the graph that ran. */
export interface ModelReport {
  name: string;
  kind: 'face-detector' | 'landmark-detector' | 'deepfake-detector' | 'temporal-detector';
  sha256: string;
}

export interface VideoReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** SHA-256 of the video's bytes (of its path, for a path that could not be read). */
  videoId: string;
  source: { kind: string; uri: string };
  status: 'done' | 'failed';
  /** Correlation id of the analysis: the crawler's own id when it gave one. */
  correlationId?: string;
  /** True when some detectors' scores never arrived (see `missingDetectors`). */
  partial?: boolean;
  missingDetectors?: string[];
  error?: { code: FailureCode; message: string; stage: StageName };
  /** null when failed. */
  label: Label | null;
  /** Ensemble P(fake) (the calibrated stacker's when a calibration applied), null when failed or when no face was found. */
  score: number | null;
  /** With a calibrated ensemble: the uncalibrated mean of the detectors' raw scores. */
  rawScore?: number | null;
  threshold: number;
  /** The calibration file the verdicts came from (`DEEPSIFT_CALIBRATION`), and what it calibrated. */
  calibration?: ReportCalibration;
  detectors: Record<string, DetectorResult>;
  frames: { requested: number; sampled: number; withFaces: number; withoutFaces: number };
  /** With temporal detectors: how the dense clips were taken (`DEEPSIFT_CLIP_*`), to take them again. */
  clips?: ClipSettings;
  faces: FaceTrackReport[];
  video: VideoInfo | null;
  /** Busy milliseconds per stage, and `totalMs` from submission to report. */
  timings: Partial<Record<StageName | 'totalMs', number>>;
  models: ModelReport[];
  createdAt: string;
  deepsiftVersion: string;
}

/** Reports' schema validator; exported for `npm run build` to precompile it. */
export const REPORT_VALIDATOR = new SchemaValidator('report', reportSchema);

/** Checks a report against the published schema; returns the problems (empty when valid). */
export function reportSchemaErrors(report: unknown): string[] {
  return REPORT_VALIDATOR.validate(report) ? [] : REPORT_VALIDATOR.problems();
}

/** Storage key of a video's report. */
export function reportKey(videoId: string, prefix = 'reports/'): string {
  return `${prefix}${videoId}.json`;
}
