/**
 * Calibration of verdicts, fitted by `deepsift eval --calibrate FILE` and applied by the
 * aggregator (`scan --calibration FILE`, `DEEPSIFT_CALIBRATION`): per detector a Platt
 * scaling of its video score and a decision threshold on the calibrated P(fake); for the
 * ensemble a logistic-regression stacker over the detectors' scores and its threshold.
 * Features are logits of the raw scores (clipped to [1e-6, 1 − 1e-6]).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaValidator } from '../common/schema-validator';
import calibrationSchema from './calibration-schema.json';

/** Version of the calibration file format (`schemaVersion`). */
export const CALIBRATION_SCHEMA_VERSION = 1;

/** One detector's calibration: P(fake) = σ(a · logit(score) + b), FAKE when ≥ threshold. */
export interface DetectorCalibration {
  platt: { a: number; b: number };
  threshold: number;
}

/** The ensemble stacker: P(fake) = σ(intercept + Σ weights[d] · logit(score_d)), FAKE when ≥ threshold. */
export interface EnsembleCalibration {
  intercept: number;
  weights: Record<string, number>;
  threshold: number;
  /** Cross-validated AUC of the stacker (null when a class has fewer than 2 videos) and the mean ensemble's AUC, on the data it was fitted on. */
  crossValidatedAuc: number | null;
  meanEnsembleAuc: number;
  folds: number;
}

/** The calibration file. */
export interface Calibration {
  kind: 'deepsift-calibration';
  schemaVersion: typeof CALIBRATION_SCHEMA_VERSION;
  createdAt: string;
  deepsiftVersion: string;
  /** How the thresholds were chosen. */
  thresholdMethod: { name: 'youden' } | { name: 'target-fpr'; targetFpr: number };
  /** What it was fitted on; scans should use the same aggregation and frames. */
  fittedOn: { dataset: string; n: number; nReal: number; nFake: number; aggregation: string | null; framesPerVideo: number | null };
  detectors: Record<string, DetectorCalibration>;
  ensemble: EnsembleCalibration | null;
}

/** A calibration as loaded for use: the file's content, where it came from and its SHA-256. */
export interface LoadedCalibration {
  calibration: Calibration;
  source: string;
  sha256: string;
}

/** A calibration file that cannot be read or does not match its schema. */
export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
  readonly code = 'BAD_CALIBRATION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Calibration files' schema validator; exported for `npm run build` to precompile it. */
export const CALIBRATION_VALIDATOR = new SchemaValidator('calibration', calibrationSchema);

/** Parses and validates calibration JSON; throws `CalibrationError` naming the problems. */
export function parseCalibration(bytes: Buffer | string, source: string): LoadedCalibration {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString());
  } catch (error) {
    throw new CalibrationError(`calibration file ${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!CALIBRATION_VALIDATOR.validate(data)) {
    throw new CalibrationError(`calibration file ${source} is not a deepsift calibration: ${CALIBRATION_VALIDATOR.problems().join('; ')}`);
  }
  return { calibration: data as unknown as Calibration, source, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Reads a calibration file (at start-up, before any video). */
export function readCalibrationFile(file: string): LoadedCalibration {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CalibrationError(`cannot read the calibration file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseCalibration(bytes, path.resolve(file));
}

/** The logistic function. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(p / (1 − p)) with p clipped to [1e-6, 1 − 1e-6], so that scores of exactly 0 or 1 stay finite. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

/** A detector's calibrated P(fake). */
export function calibrateDetectorScore(c: DetectorCalibration, rawScore: number): number {
  return sigmoid(c.platt.a * logit(rawScore) + c.platt.b);
}

/** The stacker's P(fake); undefined when a detector it needs has no score. */
export function stackEnsembleScore(c: EnsembleCalibration, rawScores: Record<string, number>): number | undefined {
  let z = c.intercept;
  for (const [detector, weight] of Object.entries(c.weights)) {
    const score = rawScores[detector];
    if (score === undefined) return undefined;
    z += weight * logit(score);
  }
  return sigmoid(z);
}
