/** Why an evaluation or a calibration could not be done: each case has a stable `code`. */
export type EvaluationErrorCode =
  /** Fewer than one real and one fake video to measure. */
  | 'ONE_CLASS'
  /** No labelled video at all. */
  | 'EMPTY_DATASET'
  /** A labels file or folder that cannot be read or parsed. */
  | 'BAD_LABELS'
  /** A label other than REAL/FAKE/0/1. */
  | 'UNKNOWN_LABEL'
  /** A labelled video that is not on disk. */
  | 'MISSING_VIDEO'
  /** The same video listed twice. */
  | 'DUPLICATE_VIDEO'
  /** Scores and labels of different lengths, or scores outside [0, 1]. */
  | 'BAD_SCORES'
  /** A calibration file that cannot be read or does not match its schema. */
  | 'BAD_CALIBRATION';

/** A typed evaluation failure; the CLI turns it into a usage error (exit 2). */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
