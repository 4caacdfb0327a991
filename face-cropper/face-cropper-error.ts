/** Stable codes of the face cropper's errors; callers branch on these, never on message text. */
export type FaceCropperErrorCode =
  | 'INVALID_OPTIONS'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_INPUT_MISMATCH'
  | 'INVALID_FRAME'
  | 'INFERENCE_FAILED'
  | 'DETECTOR_CLOSED';

/** Any failure of face detection, tracking or cropping; `code` says which. */
export class FaceCropperError extends Error {
  override readonly name = 'FaceCropperError';
  readonly code: FaceCropperErrorCode;
  /** The detector involved, when there is one (e.g. `ultraface-rfb-640`). */
  readonly detector?: string;

  constructor(code: FaceCropperErrorCode, message: string, options?: { cause?: unknown; detector?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detector = options?.detector;
  }
}
