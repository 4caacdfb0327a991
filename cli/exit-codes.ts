/** Exit statuses of the `deepsift` command, documented in the README. */
export const EXIT = {
  /** Every input got a report (failed reports included). */
  ok: 0,
  /** Bad flags, configuration or arguments. */
  usage: 2,
  /** Something deepsift needs is missing or broken: weights, ffmpeg, the output folder. */
  infrastructure: 3,
  /** A bug: an unexpected error. */
  internal: 70,
} as const;

/** An error the command reports with a given exit status and no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
