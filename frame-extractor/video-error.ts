/**
 * Why a video could not be probed or decoded. The strings are stable: they end
 * up in reports and dead-letter reasons, and callers branch on them.
 */
export type VideoErrorCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'EMPTY_FILE'
  | 'NOT_A_VIDEO'
  | 'NO_VIDEO_STREAM'
  | 'STILL_IMAGE'
  | 'VIDEO_TOO_LARGE'
  | 'VIDEO_TOO_LONG'
  | 'RESOLUTION_TOO_HIGH'
  | 'CORRUPT_VIDEO'
  | 'DECODE_FAILED'
  | 'FFMPEG_NOT_FOUND';

/** Every code, for exhaustive checks and for validating codes read back from a report. */
export const VIDEO_ERROR_CODES: readonly VideoErrorCode[] = [
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'EMPTY_FILE',
  'NOT_A_VIDEO',
  'NO_VIDEO_STREAM',
  'STILL_IMAGE',
  'VIDEO_TOO_LARGE',
  'VIDEO_TOO_LONG',
  'RESOLUTION_TOO_HIGH',
  'CORRUPT_VIDEO',
  'DECODE_FAILED',
  'FFMPEG_NOT_FOUND',
];

/** Structured fields that travel with a {@link VideoError}. */
export interface VideoErrorDetails {
  /** The file the error is about. */
  path?: string;
  /** The last lines ffmpeg or ffprobe wrote to stderr, for logs (never for branching). */
  toolOutput?: string;
  cause?: unknown;
}

/**
 * A video that cannot be used. Every code except `FFMPEG_NOT_FOUND` (a broken
 * installation) describes the input itself, so retrying the same file will not help.
 */
export class VideoError extends Error {
  override readonly name = 'VideoError';
  readonly code: VideoErrorCode;
  readonly path: string | undefined;
  readonly toolOutput: string | undefined;

  constructor(code: VideoErrorCode, message: string, details: VideoErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.path = details.path;
    this.toolOutput = details.toolOutput;
  }
}

/** True for a {@link VideoError}, optionally with the given code. */
export function isVideoError(error: unknown, code?: VideoErrorCode): error is VideoError {
  return error instanceof VideoError && (code === undefined || error.code === code);
}
