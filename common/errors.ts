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
  | 'DEADLINE_EXCEEDED'
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

/** What a worker depends on, named in `InfrastructureError` and health reports. */
export type Dependency = 'ffmpeg' | 'storage' | 'reports' | 'broker' | 'models';

/**
 * The worker itself cannot work (ffmpeg missing, the bucket or report folder out of
 * reach): never a verdict on the video. Its message is handed back without spending one
 * of the video's attempts, and the worker stops taking work until the dependency is back
 * (or exits, so that its orchestrator restarts it).
 */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
  readonly code = 'INFRASTRUCTURE' as const;

  constructor(
    readonly dependency: Dependency,
    message: string,
    context: ErrorContext = {},
  ) {
    super(message, { cause: context.cause });
  }
}

/** The handler was stopped because its worker shuts down: the message goes back, no attempt spent. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
  readonly code = 'SHUTDOWN' as const;
  constructor(message = 'the worker is shutting down') {
    super(message);
  }
}

/** The handler ran past its stage's deadline (a hung ffmpeg, a stuck call). Transient: retried. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  readonly code = 'DEADLINE_EXCEEDED' as const;
  constructor(
    readonly stage: StageName,
    readonly deadlineMs: number,
  ) {
    super(`${stage} did not finish within its deadline of ${deadlineMs} ms`);
  }
}

/** Whether another attempt may help: not for the video's own faults nor for unreadable messages. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof VideoRejectedError || error instanceof InvalidMessageError);
}

/** A short, single-line description of any thrown value, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
