/**
 * Structured logging: one JSON object per line, with `stage` and, where known,
 * `videoId` on every line (winston child loggers carry them).
 */
import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** winston level: error, warn, info, debug. */
  level: string;
  /** Where lines go; standard error by default so stdout stays free for `--json`. */
  stream?: NodeJS.WritableStream;
}

/** Creates the process's root logger. Stages derive children with `stage` and `videoId`. */
export function createLogger(options: LoggerOptions): Logger {
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [
      new winston.transports.Stream({ stream: options.stream ?? process.stderr }),
    ],
  });
}

/** A logger that drops everything (tests, `--quiet`). */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
