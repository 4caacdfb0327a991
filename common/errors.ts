/**
 * Errors that cross stage boundaries. The error's class decides what happens to the
 * message that caused it (see `Transport`): never its message text.
 */

/** Stable codes that end up in a failed report's `error.code`. */
export type FailureCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'EMPTY_FILE'
  | 'NOT_A_VIDEO'
  | 'NO_VIDEO_STREAM'
  | 'STILL_IMAGE'
  | 'VIDEO_TOO_LARGE'
  | 'URL_NOT_ALLOWED'
  | 'URL_FETCH_FAILED'
  | 'URL_TIMEOUT'
  | 'VIDEO_TOO_LONG'
  | 'RESOLUTION_TOO_HIGH'
  | 'CORRUPT_VIDEO'
  | 'DECODE_FAILED'
  | 'FFMPEG_NOT_FOUND'
  | 'FACE_DETECTION_FAILED'
  | 'DETECTOR_FAILED'
  | 'INVALID_MESSAGE'
  | 'RETRIES_EXHAUSTED'
  | 'INTERNAL';

/** Where in the pipeline something happened. */
export type StageName = 'ingest' | 'frame-extractor' | 'face-cropper' | 'detector-workers' | 'aggregator';

/** Structured fields every pipeline error may carry. */
export interface ErrorContext {
  videoId?: string;
  stage?: StageName;
  detector?: string;
  cause?: unknown;
}

/**
 * The video itself is at fault (unreadable, too long, not a video...). Retrying cannot
 * help: the stage acknowledges the message and the video gets a failed report.
 */
export class VideoRejectedError extends Error {
  override readonly name = 'VideoRejectedError';
  readonly videoId?: string;
  readonly stage?: StageName;

  constructor(
    readonly code: FailureCode,
    message: string,
    context: ErrorContext = {},
  ) {
    super(message, { cause: context.cause });
    this.videoId = context.videoId;
    this.stage = context.stage;
  }
}

/**
 * The message cannot be understood (fails its schema). It is dead-lettered with the
 * reason and never retried.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  readonly code = 'INVALID_MESSAGE' as const;

  constructor(message: string, context: ErrorContext = {}) {
    super(message, { cause: context.cause });
  }
}

/** Any other error is transient: the message is retried with backoff, then dead-lettered. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof VideoRejectedError || error instanceof InvalidMessageError);
}

/** A short, single-line description of any thrown value, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
