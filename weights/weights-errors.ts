/**
 * Errors raised by the weights module. Each has a stable `name` and `code`, so callers
 * decide what to do from the type, never from the message text.
 */

/** Base class of every weights error. */
export abstract class WeightsError extends Error {
  /** Stable machine-readable code, e.g. `CHECKSUM_MISMATCH`. */
  abstract readonly code: string;
}

/** A model manifest is not valid JSON or does not match the manifest schema. */
export class ManifestError extends WeightsError {
  override readonly name = 'ManifestError';
  readonly code = 'MANIFEST_INVALID';
  /** The manifest file (or `<inline>` when validating a value). */
  readonly file: string;
  /** JSON pointer of the offending field, e.g. `/input/mean/2`; empty for the whole document. */
  readonly field: string;

  constructor(file: string, field: string, detail: string, options?: ErrorOptions) {
    super(`Invalid model manifest ${file}: ${field === '' ? '(root)' : field} ${detail}`, options);
    this.file = file;
    this.field = field;
  }
}

/** A model name that no manifest describes. */
export class UnknownModelError extends WeightsError {
  override readonly name = 'UnknownModelError';
  readonly code = 'MODEL_UNKNOWN';
  readonly model: string;
  readonly knownModels: string[];

  constructor(model: string, knownModels: string[]) {
    super(`Unknown model "${model}". Known models: ${knownModels.join(', ')}.`);
    this.model = model;
    this.knownModels = knownModels;
  }
}

/** Bytes whose SHA-256 differs from the manifest; they never reach the cache. */
export class ChecksumError extends WeightsError {
  override readonly name = 'ChecksumError';
  readonly code = 'CHECKSUM_MISMATCH';
  readonly model: string;
  readonly file: string;
  /** Where the bytes came from: a URL or a mirror path. */
  readonly source: string;
  readonly expected: string;
  readonly actual: string;

  constructor(fields: { model: string; file: string; source: string; expected: string; actual: string }) {
    super(
      `SHA-256 mismatch for ${fields.model}/${fields.file} from ${fields.source}: ` +
        `expected ${fields.expected}, got ${fields.actual}.`,
    );
    this.model = fields.model;
    this.file = fields.file;
    this.source = fields.source;
    this.expected = fields.expected;
    this.actual = fields.actual;
  }
}

/** Why one download attempt failed. */
export type DownloadFailureReason = 'network' | 'timeout' | 'http-status' | 'too-large';

/** A download that failed, after retries when the failure was retryable. */
export class DownloadError extends WeightsError {
  override readonly name = 'DownloadError';
  readonly code = 'DOWNLOAD_FAILED';
  readonly url: string;
  readonly reason: DownloadFailureReason;
  /** HTTP status when `reason` is `http-status`. */
  readonly status: number | undefined;
  /** True when another attempt may succeed (dropped connection, timeout, 5xx, 408, 429). */
  readonly retryable: boolean;
  /** Attempts made before giving up; 1 until the retry loop records more. */
  readonly attempts: number;
  /** The failure without the URL, e.g. `HTTP 503 Service Unavailable`. */
  readonly detail: string;

  constructor(
    fields: { url: string; reason: DownloadFailureReason; status?: number; retryable: boolean; attempts?: number },
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Download of ${fields.url} failed: ${detail}`, options);
    this.url = fields.url;
    this.reason = fields.reason;
    this.status = fields.status;
    this.retryable = fields.retryable;
    this.attempts = fields.attempts ?? 1;
    this.detail = detail;
  }
}

/** A converter failed or is not available. */
export class ConversionError extends WeightsError {
  override readonly name = 'ConversionError';
  readonly code = 'CONVERSION_FAILED';
  readonly model: string;
  readonly converter: string;

  constructor(model: string, converter: string, detail: string, options?: ErrorOptions) {
    super(`Conversion of ${model} with ${converter} failed: ${detail}`, options);
    this.model = model;
    this.converter = converter;
  }
}

/** An environment variable or option of the weights module has an invalid value. */
export class WeightsConfigError extends WeightsError {
  override readonly name = 'WeightsConfigError';
  readonly code = 'WEIGHTS_CONFIG_INVALID';
  /** The environment variable or option name. */
  readonly variable: string;

  constructor(variable: string, detail: string) {
    super(`Invalid ${variable}: ${detail}`);
    this.variable = variable;
  }
}
