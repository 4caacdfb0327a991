/** Assembling a report from what the stages sent about one video. Pure. */
import type {
  Envelope,
  StageTimings,
  VideoFacesPayload,
  VideoFailedPayload,
  VideoScoresPayload,
} from '../common';
import { aggregateVideoScore, ensembleScore, verdict, type FaceScore } from './aggregation';
import { calibrateDetectorScore, stackEnsembleScore, type LoadedCalibration } from './calibration';
import {
  REPORT_SCHEMA_VERSION,
  type DetectorResult,
  type FaceTrackReport,
  type ModelReport,
  type VideoReport,
} from './report';
import type { AggregationName } from '../common';

/** How one detector's face scores become its verdict. */
export interface DetectorPolicy {
  threshold: number;
  aggregation: AggregationName;
}

/** Settings every report is built with. */
export interface ReportSettings {
  verdictThreshold: number;
  framesRequested: number;
  deepsiftVersion: string;
  policyFor(detector: string): DetectorPolicy;
  /** Applied to every verdict when set (`DEEPSIFT_CALIBRATION`); raw scores stay beside the calibrated ones. */
  calibration?: LoadedCalibration;
}

/** Builds the report of a video whose faces were all scored by every detector. */
export function buildDoneReport(
  faces: Envelope<'video.faces'>,
  arrived: Map<string, VideoScoresPayload>,
  settings: ReportSettings,
): VideoReport {
  const payload: VideoFacesPayload = faces.payload;
  const scores = inDetectorOrder(arrived, payload.detectors);
  const scoreByCrop = new Map<string, Record<string, number>>();
  for (const [detector, result] of scores) {
    for (const { cropId, score } of result.scores) {
      const entry = scoreByCrop.get(cropId) ?? {};
      entry[detector] = score;
      scoreByCrop.set(cropId, entry);
    }
  }

  const detectors: Record<string, DetectorResult> = {};
  const detectorScores: number[] = [];
  const rawScores: Record<string, number> = {};
  const calibration = settings.calibration?.calibration;
  const calibrated: string[] = [];
  const temporalDetectors = new Set(payload.temporalDetectors ?? []);
  for (const detector of payload.detectors) {
    const temporal = temporalDetectors.has(detector);
    const policy = settings.policyFor(detector);
    const aggregation = temporal ? TEMPORAL_AGGREGATION : policy.aggregation;
    const { score, facesScored } = temporal ? temporalVideoScore(scores.get(detector)) : cropVideoScore(detector, payload, scoreByCrop, policy);
    const extras = temporal ? temporalExtras(scores.get(detector)) : {};
    if (score !== undefined) {
      detectorScores.push(score);
      rawScores[detector] = score;
    }
    const fitted = calibration?.detectors[detector];
    if (fitted === undefined) {
      detectors[detector] = {
        score: score ?? null,
        label: verdict(score, policy.threshold),
        threshold: policy.threshold,
        aggregation,
        facesScored,
        ...extras,
      };
      continue;
    }
    const calibratedScore = score === undefined ? undefined : calibrateDetectorScore(fitted, score);
    if (calibratedScore !== undefined) calibrated.push(detector);
    detectors[detector] = {
      score: calibratedScore ?? null,
      rawScore: score ?? null,
      label: verdict(calibratedScore, fitted.threshold),
      threshold: fitted.threshold,
      aggregation,
      facesScored,
      ...extras,
    };
  }

  const tracks: FaceTrackReport[] = payload.tracks.map((track) => {
    const frames = track.detections.map((d) => ({
      frameIndex: d.frameIndex,
      ptsSeconds: d.ptsSeconds,
      box: d.box,
      faceScore: d.faceScore,
      scores: scoreByCrop.get(d.cropId) ?? {},
    }));
    const trackScores: Record<string, number> = {};
    for (const detector of payload.detectors) {
      const values = frames.map((f) => f.scores[detector]).filter((v): v is number => v !== undefined);
      if (values.length > 0) trackScores[detector] = values.reduce((a, b) => a + b, 0) / values.length;
    }
    return { trackId: track.trackId, scores: trackScores, frames };
  });

  const meanScore = ensembleScore(detectorScores);
  const stacked = calibration?.ensemble ? stackEnsembleScore(calibration.ensemble, rawScores) : undefined;
  if (stacked !== undefined) calibrated.push('ensemble');
  const score = stacked ?? meanScore;
  const threshold = stacked !== undefined ? calibration!.ensemble!.threshold : settings.verdictThreshold;
  const models: ModelReport[] = [
    { name: payload.faceDetector.name, kind: 'face-detector', sha256: payload.faceDetector.sha256 },
    ...(payload.landmarkModel ? [{ name: payload.landmarkModel.name, kind: 'landmark-detector' as const, sha256: payload.landmarkModel.sha256 }] : []),
    ...[...scores.values()].map((s) => ({
      name: s.model.name,
      kind: s.temporal !== undefined ? ('temporal-detector' as const) : ('deepfake-detector' as const),
      sha256: s.model.sha256,
    })),
  ];
  const detectorBusyMs = [...scores.values()].reduce((sum, s) => sum + s.busyMs, 0);

  return {
    ...reportBase(faces, settings),
    status: 'done',
    label: verdict(score, threshold),
    score: score ?? null,
    ...(stacked !== undefined ? { rawScore: meanScore ?? null } : {}),
    threshold,
    ...(settings.calibration !== undefined
      ? { calibration: { source: settings.calibration.source, sha256: settings.calibration.sha256, applied: calibrated } }
      : {}),
    detectors,
    frames: { requested: settings.framesRequested, ...payload.frames },
    ...(payload.clipSettings ? { clips: payload.clipSettings } : {}),
    faces: tracks,
    video: payload.video,
    timings: withTotal({ ...payload.timings, 'detector-workers': round(detectorBusyMs) }, payload.source.submittedAt),
    models,
  };
}

/**
 * The detectors' results in the order the scan configured them, not the order they arrived in,
 * so that two reports of the same video are the same byte for byte (per-frame `scores`, `models`).
 * Results of a detector the scan did not list, if any, come last.
 */
function inDetectorOrder(scores: Map<string, VideoScoresPayload>, detectors: string[]): Map<string, VideoScoresPayload> {
  const ordered = new Map<string, VideoScoresPayload>();
  for (const detector of detectors) {
    const result = scores.get(detector);
    if (result !== undefined) ordered.set(detector, result);
  }
  for (const [detector, result] of scores) if (!ordered.has(detector)) ordered.set(detector, result);
  return ordered;
}

/**
 * How a temporal detector's video score is made: the mean of each face track's blocks' P(fake)
 * over all clips, the highest over tracks (with one face, the mean of all blocks).
 */
export const TEMPORAL_AGGREGATION = 'mean-block';

/** A video score and how many faces (crop detectors) or clips (temporal ones) it came from. */
interface VideoScore {
  score: number | undefined;
  facesScored: number;
}

/** A crop detector's video score: its face scores under the detector's aggregation. */
function cropVideoScore(detector: string, payload: VideoFacesPayload, scoreByCrop: Map<string, Record<string, number>>, policy: DetectorPolicy): VideoScore {
  const faceScores: FaceScore[] = [];
  for (const track of payload.tracks) {
    for (const d of track.detections) {
      const score = scoreByCrop.get(d.cropId)?.[detector];
      if (score !== undefined) faceScores.push({ trackId: track.trackId, score });
    }
  }
  return { score: aggregateVideoScore(faceScores, policy.aggregation), facesScored: faceScores.length };
}

/** A temporal detector's video score (its highest track's mean block score) and the number of clip sequences with blocks. */
function temporalVideoScore(result: VideoScoresPayload | undefined): VideoScore {
  const temporal = result?.temporal;
  return {
    score: temporal?.meanBlockScore ?? undefined,
    facesScored: temporal?.clips.filter((clip) => clip.blockScores.length > 0).length ?? 0,
  };
}

/** What a report adds for a temporal detector: block scores per clip and face track, each track's mean, and why there is no score. */
function temporalExtras(result: VideoScoresPayload | undefined): Pick<DetectorResult, 'clips' | 'tracks' | 'reason'> {
  const temporal = result?.temporal;
  if (temporal === undefined) return {};
  return {
    clips: temporal.clips,
    ...(temporal.tracks !== undefined ? { tracks: temporal.tracks } : {}),
    ...(temporal.reason !== undefined ? { reason: temporal.reason } : {}),
  };
}

/** Builds the report of a video that a stage gave up on. */
export function buildFailedReport(
  failed: Envelope<'video.failed'>,
  settings: ReportSettings,
): VideoReport {
  const payload: VideoFailedPayload = failed.payload;
  return {
    ...reportBase(failed, settings),
    status: 'failed',
    error: { code: payload.error.code, message: payload.error.message, stage: payload.stage },
    label: null,
    score: null,
    detectors: {},
    frames: { requested: settings.framesRequested, sampled: 0, withFaces: 0, withoutFaces: 0 },
    faces: [],
    video: payload.video ?? null,
    timings: withTotal(payload.timings, payload.source.submittedAt),
    models: [],
  };
}

/** The fields every report has, whatever became of the video. */
function reportBase(
  envelope: Envelope<'video.faces'> | Envelope<'video.failed'>,
  settings: ReportSettings,
): Pick<VideoReport, 'schemaVersion' | 'videoId' | 'source' | 'correlationId' | 'threshold' | 'createdAt' | 'deepsiftVersion'> {
  const { source } = envelope.payload;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    videoId: envelope.videoId,
    source: { kind: source.kind, uri: source.uri },
    correlationId: envelope.correlationId,
    threshold: settings.verdictThreshold,
    createdAt: new Date().toISOString(),
    deepsiftVersion: settings.deepsiftVersion,
  };
}

function withTotal(timings: StageTimings, ingestedAt: string): VideoReport['timings'] {
  const total = Date.now() - Date.parse(ingestedAt);
  return { ...timings, totalMs: Number.isFinite(total) && total >= 0 ? total : 0 };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
