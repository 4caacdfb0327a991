/** Why a PyTorch checkpoint or LRNet weight file could not be read or converted. */
export type LrnetConversionErrorCode = 'INVALID_ZIP' | 'INVALID_PICKLE' | 'UNSUPPORTED_TENSOR' | 'UNEXPECTED_WEIGHTS';

/** A checkpoint that is not what the LRNet converter expects; never worth retrying. */
export class LrnetConversionError extends Error {
  override readonly name = 'LrnetConversionError';

  constructor(
    readonly code: LrnetConversionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
