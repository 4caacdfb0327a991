/** Why face-api landmark weights could not be converted. */
export type FaceApiConversionErrorCode = 'INVALID_WEIGHTS_MANIFEST' | 'UNEXPECTED_WEIGHTS';

/** A face-api weights manifest or weights file that is not what the converter expects; never worth retrying. */
export class FaceApiConversionError extends Error {
  override readonly name = 'FaceApiConversionError';

  constructor(
    readonly code: FaceApiConversionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
