/**
 * Configuration: every option a user can set, declared once with its environment
 * variable, command-line flag, default and unit. `resolveConfig` reads them once at
 * start-up into one typed object and fails fast naming the variable or flag at fault.
 * The README's configuration table is generated from `CONFIG_OPTIONS` (and a test
 * checks that it is current).
 */

export const DEFAULT_FRAMES_PER_VIDEO = 32; // as the DFDC winning solutions sampled
export const DEFAULT_DETECTORS = ['meso4-df', 'mesoinception-df'];
export const DEFAULT_FACE_DETECTOR = 'ultraface-rfb-640';
export const DEFAULT_FACE_SCORE_THRESHOLD = 0.7;
export const DEFAULT_NMS_IOU_THRESHOLD = 0.3;
export const DEFAULT_MIN_FACE_SIZE_PX = 40;
export const DEFAULT_TRACK_IOU_THRESHOLD = 0.3;
export const DEFAULT_TRACK_MAX_GAP_FRAMES = 4;
export const DEFAULT_BATCH_MAX_SIZE = 32;
export const DEFAULT_BATCH_MAX_WAIT_MS = 20;
export const DEFAULT_EXECUTION_PROVIDERS = ['cuda', 'cpu'];
export const DEFAULT_VERDICT_THRESHOLD = 0.5;
export const DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_DURATION_SECONDS = 3600;
export const DEFAULT_MAX_PIXELS = 4096 * 2304;
export const DEFAULT_VIDEO_CONCURRENCY = 2;

/** Per-video aggregation of face scores (see aggregator/aggregation.ts). */
export type AggregationName = 'track-max' | 'confident';

/** The resolved configuration of a pipeline. */
export interface DeepsiftConfig {
  framesPerVideo: number;
  detectors: string[];
  faceDetector: string;
  faceScoreThreshold: number;
  nmsIouThreshold: number;
  minFaceSizePx: number;
  trackIouThreshold: number;
  trackMaxGapFrames: number;
  /** Overrides each detector manifest's crop margin when set. */
  cropMargin: number | undefined;
  batchMaxSize: number;
  batchMaxWaitMs: number;
  executionProviders: string[];
  /** ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
  /** Overrides each detector manifest's aggregation when set. */
  aggregation: AggregationName | undefined;
  verdictThreshold: number;
  maxVideoBytes: number;
  maxDurationSeconds: number;
  maxPixels: number;
  videoConcurrency: number;
  logLevel: string;
  /** Serve Prometheus metrics on this port; none when undefined. */
  metricsPort: number | undefined;
  cacheDir: string | undefined;
  weightsMirror: string | undefined;
}

type Parser = (raw: string) => unknown;

/** One user-settable option. */
export interface ConfigOption {
  key: keyof DeepsiftConfig;
  env: string;
  /** Long flag of `deepsift scan`, without dashes. */
  flag: string;
  defaultValue: unknown;
  unit: string;
  description: string;
  parse: Parser;
}

class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const integer = (min: number): Parser => (raw) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`expected an integer ≥ ${min}, got "${raw}"`);
  return value;
};
const fraction: Parser = (raw) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new ConfigError(`expected a number in [0, 1], got "${raw}"`);
  return value;
};
const list: Parser = (raw) => {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new ConfigError('expected a comma-separated list, got nothing');
  return items;
};
const text: Parser = (raw) => raw;
const oneOf = (...values: string[]): Parser => (raw) => {
  if (!values.includes(raw)) throw new ConfigError(`expected one of ${values.join(', ')}, got "${raw}"`);
  return raw;
};

/** Every option, in the order the README lists them. */
export const CONFIG_OPTIONS: ConfigOption[] = [
  { key: 'framesPerVideo', env: 'DEEPSIFT_FRAMES_PER_VIDEO', flag: 'frames', defaultValue: DEFAULT_FRAMES_PER_VIDEO, unit: 'frames', description: 'Frames sampled per video, spread uniformly over its length.', parse: integer(1) },
  { key: 'detectors', env: 'DEEPSIFT_DETECTORS', flag: 'detectors', defaultValue: DEFAULT_DETECTORS, unit: 'names', description: 'Deepfake detectors to run (comma-separated manifest names).', parse: list },
  { key: 'faceDetector', env: 'DEEPSIFT_FACE_DETECTOR', flag: 'face-detector', defaultValue: DEFAULT_FACE_DETECTOR, unit: 'name', description: 'Face detector manifest: ultraface-rfb-640 or ultraface-rfb-320.', parse: text },
  { key: 'faceScoreThreshold', env: 'DEEPSIFT_FACE_SCORE_THRESHOLD', flag: 'face-score-threshold', defaultValue: DEFAULT_FACE_SCORE_THRESHOLD, unit: 'probability', description: 'Minimum face detector confidence for a face.', parse: fraction },
  { key: 'nmsIouThreshold', env: 'DEEPSIFT_NMS_IOU_THRESHOLD', flag: 'nms-iou-threshold', defaultValue: DEFAULT_NMS_IOU_THRESHOLD, unit: 'IoU', description: 'Overlap above which non-maximum suppression drops the weaker face box.', parse: fraction },
  { key: 'minFaceSizePx', env: 'DEEPSIFT_MIN_FACE_SIZE_PX', flag: 'min-face-size', defaultValue: DEFAULT_MIN_FACE_SIZE_PX, unit: 'pixels', description: 'Faces smaller than this (shorter side, full resolution) are ignored.', parse: integer(1) },
  { key: 'trackIouThreshold', env: 'DEEPSIFT_TRACK_IOU_THRESHOLD', flag: 'track-iou-threshold', defaultValue: DEFAULT_TRACK_IOU_THRESHOLD, unit: 'IoU', description: 'Minimum overlap to link a face to a track from an earlier frame.', parse: fraction },
  { key: 'trackMaxGapFrames', env: 'DEEPSIFT_TRACK_MAX_GAP_FRAMES', flag: 'track-max-gap', defaultValue: DEFAULT_TRACK_MAX_GAP_FRAMES, unit: 'sampled frames', description: 'Sampled frames a track may miss before it ends.', parse: integer(0) },
  { key: 'cropMargin', env: 'DEEPSIFT_CROP_MARGIN', flag: 'crop-margin', defaultValue: undefined, unit: 'fraction of face size', description: "Margin around each face crop, each side; default: the detector manifest's.", parse: fraction },
  { key: 'batchMaxSize', env: 'DEEPSIFT_BATCH_MAX_SIZE', flag: 'batch-max-size', defaultValue: DEFAULT_BATCH_MAX_SIZE, unit: 'crops', description: 'Largest inference batch per detector.', parse: integer(1) },
  { key: 'batchMaxWaitMs', env: 'DEEPSIFT_BATCH_MAX_WAIT_MS', flag: 'batch-max-wait', defaultValue: DEFAULT_BATCH_MAX_WAIT_MS, unit: 'ms', description: 'Longest a crop waits for its batch to fill.', parse: integer(0) },
  { key: 'executionProviders', env: 'DEEPSIFT_EXECUTION_PROVIDERS', flag: 'execution-providers', defaultValue: DEFAULT_EXECUTION_PROVIDERS, unit: 'names', description: 'ONNX Runtime execution providers in order of preference; unavailable ones are skipped (logged).', parse: list },
  { key: 'intraOpThreads', env: 'DEEPSIFT_INTRA_OP_THREADS', flag: 'intra-op-threads', defaultValue: 0, unit: 'threads', description: 'ONNX Runtime threads per model; 0 lets ONNX Runtime choose.', parse: integer(0) },
  { key: 'aggregation', env: 'DEEPSIFT_AGGREGATION', flag: 'aggregation', defaultValue: undefined, unit: 'name', description: "Per-video aggregation: track-max or confident; default: the detector manifest's (track-max).", parse: oneOf('track-max', 'confident') },
  { key: 'verdictThreshold', env: 'DEEPSIFT_THRESHOLD', flag: 'threshold', defaultValue: DEFAULT_VERDICT_THRESHOLD, unit: 'P(fake)', description: 'Ensemble score at or above which a video is labelled FAKE.', parse: fraction },
  { key: 'maxVideoBytes', env: 'DEEPSIFT_MAX_VIDEO_BYTES', flag: 'max-video-bytes', defaultValue: DEFAULT_MAX_VIDEO_BYTES, unit: 'bytes', description: 'Larger files are rejected (VIDEO_TOO_LARGE).', parse: integer(1) },
  { key: 'maxDurationSeconds', env: 'DEEPSIFT_MAX_DURATION_SECONDS', flag: 'max-duration', defaultValue: DEFAULT_MAX_DURATION_SECONDS, unit: 'seconds', description: 'Longer videos are rejected (VIDEO_TOO_LONG).', parse: integer(1) },
  { key: 'maxPixels', env: 'DEEPSIFT_MAX_PIXELS', flag: 'max-pixels', defaultValue: DEFAULT_MAX_PIXELS, unit: 'pixels per frame', description: 'Videos with larger frames are rejected (RESOLUTION_TOO_HIGH).', parse: integer(1) },
  { key: 'videoConcurrency', env: 'DEEPSIFT_VIDEO_CONCURRENCY', flag: 'concurrency', defaultValue: DEFAULT_VIDEO_CONCURRENCY, unit: 'videos', description: 'Videos decoded at once; frames of at most this many more wait for the face detector.', parse: integer(1) },
  { key: 'logLevel', env: 'DEEPSIFT_LOG_LEVEL', flag: 'log-level', defaultValue: 'warn', unit: 'level', description: 'Log level: error, warn, info or debug (JSON lines on standard error).', parse: oneOf('error', 'warn', 'info', 'debug') },
  { key: 'metricsPort', env: 'DEEPSIFT_METRICS_PORT', flag: 'metrics-port', defaultValue: undefined, unit: 'TCP port', description: 'Serve Prometheus metrics at /metrics on this port.', parse: integer(0) },
  { key: 'cacheDir', env: 'DEEPSIFT_CACHE_DIR', flag: 'cache-dir', defaultValue: undefined, unit: 'path', description: 'Writable model cache; default $XDG_CACHE_HOME/deepsift or ~/.cache/deepsift.', parse: text },
  { key: 'weightsMirror', env: 'DEEPSIFT_WEIGHTS_MIRROR', flag: 'weights-mirror', defaultValue: undefined, unit: 'path', description: 'Read-only local mirror of the upstream weight files, used before downloading.', parse: text },
];

/**
 * Resolves the configuration: a flag beats its environment variable, which beats the
 * default. `flags` maps option flags (without dashes) to raw strings.
 */
export function resolveConfig(env: NodeJS.ProcessEnv, flags: Record<string, string | undefined> = {}): DeepsiftConfig {
  const config: Record<string, unknown> = {};
  for (const option of CONFIG_OPTIONS) {
    const fromFlag = flags[option.flag];
    const fromEnv = env[option.env];
    const raw = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (raw === undefined) {
      config[option.key] = Array.isArray(option.defaultValue) ? [...option.defaultValue] : option.defaultValue;
      continue;
    }
    try {
      config[option.key] = option.parse(raw);
    } catch (error) {
      const where = fromFlag !== undefined ? `--${option.flag}` : option.env;
      throw new ConfigError(`invalid ${where}: ${(error as Error).message}`);
    }
  }
  return config as unknown as DeepsiftConfig;
}

/** The README's configuration table, in Markdown. */
export function configTableMarkdown(): string {
  const rows = CONFIG_OPTIONS.map((o) => {
    const value = o.defaultValue === undefined ? '—' : Array.isArray(o.defaultValue) ? o.defaultValue.join(',') : String(o.defaultValue);
    return `| \`${o.env}\` | \`--${o.flag}\` | \`${value}\` | ${o.unit} | ${o.description} |`;
  });
  return ['| Variable | Flag | Default | Unit | Meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export { ConfigError };
