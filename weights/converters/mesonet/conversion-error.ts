/** Why a MesoNet weight file could not be converted. */
export type MesoNetConversionErrorCode = 'INVALID_H5' | 'UNEXPECTED_LAYERS';

/** A MesoNet weight file that is not what the converter expects; never worth retrying. */
export class MesoNetConversionError extends Error {
  override readonly name = 'MesoNetConversionError';

  constructor(
    readonly code: MesoNetConversionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
