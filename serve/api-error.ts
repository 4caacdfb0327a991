/**
 * The one error type routes throw: an HTTP status, a stable `code` and a sentence for the
 * user. The error handler answers `{ statusCode, code, error, message }`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
