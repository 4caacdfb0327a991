/**
 * Configuration: every option a user can set, declared once with its environment
 * variable, command-line flag, default and unit. `resolveConfig` reads them once at
 * start-up into one typed object and fails fast naming the variable or flag at fault.
 * The README's configuration table is generated from `CONFIG_OPTIONS` (and a test
 * checks that it is current).
 */

export const DEFAULT_FRAMES_PER_VIDEO = 32; // as the DFDC winning solutions sampled
export const DEFAULT_DETECTORS = ['meso4-df', 'mesoinception-df'];

/** Dense clips per video for temporal detectors unless told otherwise: four places over the video, as the issue suggests. */
export const DEFAULT_CLIP_COUNT = 4;

/**
 * Frames per dense clip unless told otherwise: 61, two LRNet blocks of 30 (upstream's blocking
 * needs one frame more than its blocks, see detector-workers/landmark-blocks.ts), about
 * 2 s at 30 fps.
 */
export const DEFAULT_CLIP_FRAMES = 61;

/** Faces followed per dense clip unless told otherwise: the largest few, each its own landmark track. */
export const DEFAULT_CLIP_MAX_FACES = 4;

/**
 * Smallest face followed through a dense clip unless told otherwise (longer side of the
 * detected box, pixels): the landmark net reads 112×112 crops, and a face much smaller than
 * that gives landmarks whose jitter is the net's, not the face's.
 */
export const DEFAULT_CLIP_MIN_FACE_PX = 40;
/**
 * The landmark net LRNet's landmarks are placed with: face-api's 68-point net. MediaPipe
 * FaceMesh ranked ../shared/eval better by AUC (README, LRNet landmarks), but pushes real
 * videos' scores above LRNet's threshold of 0.5, which was set on face-api's points.
 */
export const DEFAULT_LANDMARK_MODEL = 'faceapi';
export const DEFAULT_FACE_DETECTOR = 'ultraface-rfb-640';
export const DEFAULT_FACE_SCORE_THRESHOLD = 0.7;
export const DEFAULT_NMS_IOU_THRESHOLD = 0.3;
export const DEFAULT_MIN_FACE_SIZE_PX = 40;
export const DEFAULT_TRACK_IOU_THRESHOLD = 0.3;
export const DEFAULT_TRACK_MAX_GAP_FRAMES = 4;
/**
 * 0 = chosen per execution provider: 32 on a GPU; 1 on CPU, where batching MesoNet makes
 * each crop slower (measured: Meso4 3.6 ms per crop alone, 6.3 ms in batches of 32; the
 * activations of a batch no longer fit the caches) and grows ONNX Runtime's memory pool.
 */
export const DEFAULT_BATCH_MAX_SIZE = 0;
/** The batch size `DEFAULT_BATCH_MAX_SIZE` stands for, by execution provider. */
export function autoBatchMaxSize(executionProvider: string): number {
  return executionProvider === 'cpu' ? 1 : 32;
}
/**
 * 0 = chosen per execution provider: 8 frames per run of the face detector on a GPU, where a
 * batch costs little more than one frame; 1 on CPU, where it brings nothing.
 */
export const DEFAULT_FACE_BATCH_SIZE = 0;
/** The batch size `DEFAULT_FACE_BATCH_SIZE` stands for, by execution provider. */
export function autoFaceBatchSize(executionProvider: string): number {
  return executionProvider === 'cpu' ? 1 : 8;
}
export const DEFAULT_BATCH_MAX_WAIT_MS = 20;
export const DEFAULT_EXECUTION_PROVIDERS = ['cuda', 'cpu'];
export const DEFAULT_VERDICT_THRESHOLD = 0.5;
export const DEFAULT_MAX_VIDEO_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_DURATION_SECONDS = 3600;
export const DEFAULT_MAX_PIXELS = 4096 * 2304;
export const DEFAULT_VIDEO_CONCURRENCY = 2;
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const DEFAULT_NAMESPACE = 'deepsift';
export const DEFAULT_S3_REGION = 'us-east-1';
export const DEFAULT_S3_BUCKET = 'deepsift';
export const DEFAULT_PARTIAL_REPORT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
export const DEFAULT_DELIVERY_LIMIT = 5;
/** A 1-hour 4K video takes minutes to probe and sample on one core; a hung ffmpeg never ends. */
export const DEFAULT_DECODE_DEADLINE_MS = 10 * 60_000;
export const DEFAULT_STAGE_DEADLINE_MS = 5 * 60_000;
export const DEFAULT_DEPENDENCY_GIVE_UP_MS = 2 * 60_000;
export const DEFAULT_SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 8080;
export const DEFAULT_SERVE_RATE_LIMIT_PER_MINUTE = 120;
export const DEFAULT_SERVE_MAX_UPLOAD_BYTES = DEFAULT_MAX_VIDEO_BYTES;
export const DEFAULT_SERVE_UPLOAD_DIR = 'deepsift-uploads';
export const DEFAULT_SERVE_REPORTS_DIR = 'deepsift-reports';

/** Per-video aggregation of face scores (see aggregator/aggregation.ts). */
export type AggregationName = 'track-max' | 'confident';

/** The resolved configuration of a pipeline. */
export interface DeepsiftConfig {
  framesPerVideo: number;
  detectors: string[];
  /** Dense clips per video that temporal detectors read (scan only). */
  clipCount: number;
  /** Consecutive frames per dense clip. */
  clipFrames: number;
  /** Faces followed per dense clip, the largest first. */
  clipMaxFaces: number;
  /** Faces smaller than this (longer side, pixels) are not followed through dense clips. */
  clipMinFaceSizePx: number;
  /** The landmark net for temporal detectors' landmarks: `faceapi` or `facemesh`. */
  landmarkModel: 'faceapi' | 'facemesh';
  faceDetector: string;
  faceScoreThreshold: number;
  nmsIouThreshold: number;
  minFaceSizePx: number;
  trackIouThreshold: number;
  trackMaxGapFrames: number;
  /** Frames of a video per run of the face detector; 0 picks by execution provider. */
  faceBatchSize: number;
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
  /** Calibration file applied to every verdict (`deepsift eval --calibrate`); none when undefined. */
  calibrationFile: string | undefined;
  maxVideoBytes: number;
  maxDurationSeconds: number;
  maxPixels: number;
  videoConcurrency: number;
  logLevel: string;
  /** Serve Prometheus metrics on this port; none when undefined. */
  metricsPort: number | undefined;
  cacheDir: string | undefined;
  weightsMirror: string | undefined;
  /** Folders of users' own detector manifests, added to the built-in ones. */
  modelsDirs: string[] | undefined;
  amqpUrl: string;
  /** Prefix of every exchange and queue name. */
  namespace: string;
  /** S3 endpoint URL (MinIO, a test server); AWS when undefined. */
  s3Endpoint: string | undefined;
  s3Region: string;
  s3Bucket: string;
  /** Path-style addressing; default: true when an endpoint is set (MinIO). */
  s3ForcePathStyle: boolean | undefined;
  /** How often ingest lists `incoming/` for new videos; 0 disables polling. */
  s3PollIntervalMs: number;
  partialReportTimeoutMs: number;
  shutdownGraceMs: number;
  /** Deliveries of one message without an acknowledgement before the broker dead-letters it. */
  deliveryLimit: number;
  /** Whether URL jobs may point at loopback and private addresses. */
  allowPrivateUrls: boolean;
  ffmpegPath: string;
  ffprobePath: string;
  /** How ffmpeg and ffprobe are started: from a small helper process, or spawned directly ('off'). */
  toolLauncher: 'helper' | 'off';
  /** Deadline of a frame extractor's handler (probe, download, decode). */
  decodeDeadlineMs: number;
  /** Deadline of the other stages' handlers. */
  stageDeadlineMs: number;
  /** A dependency unusable this long ends a worker (exit 3). */
  dependencyGiveUpMs: number;
  /**
   * How sampled frames are stored: workers whose frames cross the bucket default to jpeg;
   * frames in memory (scan, a stage group) stay raw unless this is set.
   */
  frameEncoding: 'raw' | 'jpeg' | 'png' | undefined;
  frameJpegQuality: number;
  /** How a face cropper worker stores the crops it hands to detector workers through the bucket. */
  cropEncoding: 'lossless' | 'raw';
  /** `deepsift serve`: address to listen on. */
  serveHost: string;
  serveTcpPort: number;
  /** `deepsift serve`: file of API keys, one per line. */
  apiKeysFile: string | undefined;
  /** `deepsift serve`: API keys given directly (comma-separated). */
  apiKeys: string[] | undefined;
  serveRateLimitPerMinute: number;
  serveMaxUploadBytes: number;
  /** `deepsift serve`: origins allowed by CORS; none (CORS off) when undefined. */
  serveCorsOrigins: string[] | undefined;
  /** `deepsift serve` (embedded): where uploaded videos are kept. */
  serveUploadDir: string;
  /** `deepsift serve` (embedded): where reports are written. */
  serveReportsDir: string;
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
  /** `scan` takes the option as a flag too; worker-only and serve-only options are read from the environment. */
  scope: 'all' | 'worker' | 'serve';
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
/** Folders separated by ':' (';' on Windows), as in PATH. */
const folders: Parser = (raw) => raw.split(process.platform === 'win32' ? ';' : ':').map((s) => s.trim()).filter(Boolean);
const boolean: Parser = (raw) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`expected true or false, got "${raw}"`);
};
const url = (...schemes: string[]): Parser => (raw) => {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`expected a URL, got "${raw}"`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) throw new ConfigError(`expected a ${schemes.join(' or ')} URL, got "${raw}"`);
  return raw;
};
const name: Parser = (raw) => {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(raw)) throw new ConfigError(`expected lower-case letters, digits, '.', '_' or '-', got "${raw}"`);
  return raw;
};
const oneOf = (...values: string[]): Parser => (raw) => {
  if (!values.includes(raw)) throw new ConfigError(`expected one of ${values.join(', ')}, got "${raw}"`);
  return raw;
};

/** Every option, in the order the README lists them. */
export const CONFIG_OPTIONS: ConfigOption[] = [
  { key: 'framesPerVideo', env: 'DEEPSIFT_FRAMES_PER_VIDEO', flag: 'frames', defaultValue: DEFAULT_FRAMES_PER_VIDEO, unit: 'frames', description: 'Frames sampled per video, spread uniformly over its length.', parse: integer(1), scope: 'all' },
  { key: 'detectors', env: 'DEEPSIFT_DETECTORS', flag: 'detectors', defaultValue: DEFAULT_DETECTORS, unit: 'names', description: 'Deepfake detectors to run (comma-separated manifest names).', parse: list, scope: 'all' },
  { key: 'clipCount', env: 'DEEPSIFT_CLIP_COUNT', flag: 'clip-count', defaultValue: DEFAULT_CLIP_COUNT, unit: 'clips', description: 'Dense clips per video that temporal detectors (lrnet-*) read, spread over its length; fewer when they would overlap.', parse: integer(1), scope: 'all' },
  { key: 'clipFrames', env: 'DEEPSIFT_CLIP_FRAMES', flag: 'clip-frames', defaultValue: DEFAULT_CLIP_FRAMES, unit: 'frames', description: 'Consecutive frames per dense clip; LRNet needs 31 for one block of 30, 61 for two.', parse: integer(31), scope: 'all' },
  { key: 'clipMaxFaces', env: 'DEEPSIFT_CLIP_MAX_FACES', flag: 'clip-max-faces', defaultValue: DEFAULT_CLIP_MAX_FACES, unit: 'faces', description: "Faces followed through each dense clip from its first frame, the largest first; each is its own landmark track, and a temporal detector's video score is its highest track.", parse: integer(1), scope: 'all' },
  { key: 'clipMinFaceSizePx', env: 'DEEPSIFT_CLIP_MIN_FACE_PX', flag: 'clip-min-face-size', defaultValue: DEFAULT_CLIP_MIN_FACE_PX, unit: 'pixels', description: 'Faces smaller than this (longer side, full resolution) on a dense clip\'s first frame are not followed.', parse: integer(1), scope: 'all' },
  { key: 'landmarkModel', env: 'DEEPSIFT_LANDMARK_MODEL', flag: 'landmark-model', defaultValue: DEFAULT_LANDMARK_MODEL, unit: 'name', description: "Landmark net for temporal detectors' 68 points: faceapi (face-api's 68-point net) or facemesh (MediaPipe FaceMesh, 468 points mapped to 68).", parse: oneOf('faceapi', 'facemesh'), scope: 'all' },
  { key: 'faceDetector', env: 'DEEPSIFT_FACE_DETECTOR', flag: 'face-detector', defaultValue: DEFAULT_FACE_DETECTOR, unit: 'name', description: 'Face detector manifest: ultraface-rfb-640 or ultraface-rfb-320.', parse: text, scope: 'all' },
  { key: 'faceBatchSize', env: 'DEEPSIFT_FACE_BATCH_SIZE', flag: 'face-batch-size', defaultValue: DEFAULT_FACE_BATCH_SIZE, unit: 'frames', description: "Frames of a video per run of the face detector (frames resized while decoding: scan and the decode group); 0 picks by execution provider (1 on CPU, 8 on a GPU).", parse: integer(0), scope: 'all' },
  { key: 'faceScoreThreshold', env: 'DEEPSIFT_FACE_SCORE_THRESHOLD', flag: 'face-score-threshold', defaultValue: DEFAULT_FACE_SCORE_THRESHOLD, unit: 'probability', description: 'Minimum face detector confidence for a face.', parse: fraction, scope: 'all' },
  { key: 'nmsIouThreshold', env: 'DEEPSIFT_NMS_IOU_THRESHOLD', flag: 'nms-iou-threshold', defaultValue: DEFAULT_NMS_IOU_THRESHOLD, unit: 'IoU', description: 'Overlap above which non-maximum suppression drops the weaker face box.', parse: fraction, scope: 'all' },
  { key: 'minFaceSizePx', env: 'DEEPSIFT_MIN_FACE_SIZE_PX', flag: 'min-face-size', defaultValue: DEFAULT_MIN_FACE_SIZE_PX, unit: 'pixels', description: 'Faces smaller than this (shorter side, full resolution) are ignored.', parse: integer(1), scope: 'all' },
  { key: 'trackIouThreshold', env: 'DEEPSIFT_TRACK_IOU_THRESHOLD', flag: 'track-iou-threshold', defaultValue: DEFAULT_TRACK_IOU_THRESHOLD, unit: 'IoU', description: 'Minimum overlap to link a face to a track from an earlier frame.', parse: fraction, scope: 'all' },
  { key: 'trackMaxGapFrames', env: 'DEEPSIFT_TRACK_MAX_GAP_FRAMES', flag: 'track-max-gap', defaultValue: DEFAULT_TRACK_MAX_GAP_FRAMES, unit: 'sampled frames', description: 'Sampled frames a track may miss before it ends.', parse: integer(0), scope: 'all' },
  { key: 'cropMargin', env: 'DEEPSIFT_CROP_MARGIN', flag: 'crop-margin', defaultValue: undefined, unit: 'fraction of face size', description: "Margin around each face crop, each side; default: the detector manifest's.", parse: fraction, scope: 'all' },
  { key: 'batchMaxSize', env: 'DEEPSIFT_BATCH_MAX_SIZE', flag: 'batch-max-size', defaultValue: DEFAULT_BATCH_MAX_SIZE, unit: 'crops', description: 'Largest inference batch per detector; 0 picks by execution provider (1 on CPU, 32 on a GPU).', parse: integer(0), scope: 'all' },
  { key: 'batchMaxWaitMs', env: 'DEEPSIFT_BATCH_MAX_WAIT_MS', flag: 'batch-max-wait', defaultValue: DEFAULT_BATCH_MAX_WAIT_MS, unit: 'ms', description: 'Longest a crop waits for its batch to fill.', parse: integer(0), scope: 'all' },
  { key: 'executionProviders', env: 'DEEPSIFT_EXECUTION_PROVIDERS', flag: 'execution-providers', defaultValue: DEFAULT_EXECUTION_PROVIDERS, unit: 'names', description: 'ONNX Runtime execution providers in order of preference; unavailable ones are skipped (logged).', parse: list, scope: 'all' },
  { key: 'intraOpThreads', env: 'DEEPSIFT_INTRA_OP_THREADS', flag: 'intra-op-threads', defaultValue: 1, unit: 'threads', description: 'ONNX Runtime threads per model (each model runs in a worker thread of its own); 0 lets ONNX Runtime choose.', parse: integer(0), scope: 'all' },
  { key: 'aggregation', env: 'DEEPSIFT_AGGREGATION', flag: 'aggregation', defaultValue: undefined, unit: 'name', description: "Per-video aggregation: track-max or confident; default: the detector manifest's (track-max).", parse: oneOf('track-max', 'confident'), scope: 'all' },
  { key: 'verdictThreshold', env: 'DEEPSIFT_THRESHOLD', flag: 'threshold', defaultValue: DEFAULT_VERDICT_THRESHOLD, unit: 'P(fake)', description: 'Ensemble score at or above which a video is labelled FAKE.', parse: fraction, scope: 'all' },
  { key: 'calibrationFile', env: 'DEEPSIFT_CALIBRATION', flag: 'calibration', defaultValue: undefined, unit: 'path', description: 'Calibration file written by `deepsift eval --calibrate`: its thresholds, Platt scalings and stacker decide the verdicts; raw scores stay in the report.', parse: text, scope: 'all' },
  { key: 'maxVideoBytes', env: 'DEEPSIFT_MAX_VIDEO_BYTES', flag: 'max-video-bytes', defaultValue: DEFAULT_MAX_VIDEO_BYTES, unit: 'bytes', description: 'Larger files are rejected (VIDEO_TOO_LARGE).', parse: integer(1), scope: 'all' },
  { key: 'maxDurationSeconds', env: 'DEEPSIFT_MAX_DURATION_SECONDS', flag: 'max-duration', defaultValue: DEFAULT_MAX_DURATION_SECONDS, unit: 'seconds', description: 'Longer videos are rejected (VIDEO_TOO_LONG).', parse: integer(1), scope: 'all' },
  { key: 'maxPixels', env: 'DEEPSIFT_MAX_PIXELS', flag: 'max-pixels', defaultValue: DEFAULT_MAX_PIXELS, unit: 'pixels per frame', description: 'Videos with larger frames are rejected (RESOLUTION_TOO_HIGH).', parse: integer(1), scope: 'all' },
  { key: 'videoConcurrency', env: 'DEEPSIFT_VIDEO_CONCURRENCY', flag: 'concurrency', defaultValue: DEFAULT_VIDEO_CONCURRENCY, unit: 'videos', description: 'Videos decoded at once, each by ffmpeg on its share of the cores (`scan` of fewer videos: as many as it has, one alone on all of them); frames of at most this many more wait for the face detector.', parse: integer(1), scope: 'all' },
  { key: 'logLevel', env: 'DEEPSIFT_LOG_LEVEL', flag: 'log-level', defaultValue: 'warn', unit: 'level', description: 'Log level: error, warn, info or debug (JSON lines on standard error).', parse: oneOf('error', 'warn', 'info', 'debug'), scope: 'all' },
  { key: 'metricsPort', env: 'DEEPSIFT_METRICS_PORT', flag: 'metrics-port', defaultValue: undefined, unit: 'TCP port', description: 'Serve Prometheus metrics at /metrics on this port; workers also serve /healthz and /readyz there.', parse: integer(0), scope: 'all' },
  { key: 'cacheDir', env: 'DEEPSIFT_CACHE_DIR', flag: 'cache-dir', defaultValue: undefined, unit: 'path', description: 'Writable model cache; default $XDG_CACHE_HOME/deepsift or ~/.cache/deepsift.', parse: text, scope: 'all' },
  { key: 'weightsMirror', env: 'DEEPSIFT_WEIGHTS_MIRROR', flag: 'weights-mirror', defaultValue: undefined, unit: 'path', description: 'Read-only local mirror of the upstream weight files, used before downloading.', parse: text, scope: 'all' },
  { key: 'modelsDirs', env: 'DEEPSIFT_MODELS_DIR', flag: 'models-dir', defaultValue: undefined, unit: 'paths', description: "Folders of your own detectors' manifests (ONNX models with local or URL files and SHA-256), separated by ':'; added to the built-in models.", parse: folders, scope: 'all' },
  { key: 'ffmpegPath', env: 'DEEPSIFT_FFMPEG', flag: 'ffmpeg', defaultValue: 'ffmpeg', unit: 'path', description: 'The ffmpeg executable (a name on PATH or a path).', parse: text, scope: 'all' },
  { key: 'ffprobePath', env: 'DEEPSIFT_FFPROBE', flag: 'ffprobe', defaultValue: 'ffprobe', unit: 'path', description: 'The ffprobe executable (a name on PATH or a path).', parse: text, scope: 'all' },
  { key: 'toolLauncher', env: 'DEEPSIFT_TOOL_LAUNCHER', flag: 'tool-launcher', defaultValue: 'helper', unit: 'name', description: 'How ffmpeg and ffprobe are started: helper (by a small helper process, which hands them connections to this process as their outputs, so that the large deepsift process never forks: each fork costs it a page fault per page it writes afterwards) or off (spawned directly, as always on Windows).', parse: oneOf('helper', 'off'), scope: 'all' },
  { key: 'amqpUrl', env: 'DEEPSIFT_AMQP_URL', flag: 'amqp-url', defaultValue: DEFAULT_AMQP_URL, unit: 'URL', description: 'RabbitMQ to connect to (distributed mode).', parse: url('amqp', 'amqps'), scope: 'worker' },
  { key: 'namespace', env: 'DEEPSIFT_NAMESPACE', flag: 'namespace', defaultValue: DEFAULT_NAMESPACE, unit: 'name', description: 'Prefix of every exchange and queue, so deployments can share a broker.', parse: name, scope: 'worker' },
  { key: 's3Endpoint', env: 'DEEPSIFT_S3_ENDPOINT', flag: 's3-endpoint', defaultValue: undefined, unit: 'URL', description: 'S3 endpoint (MinIO or another S3-compatible server); AWS S3 when unset.', parse: url('http', 'https'), scope: 'worker' },
  { key: 's3Region', env: 'DEEPSIFT_S3_REGION', flag: 's3-region', defaultValue: DEFAULT_S3_REGION, unit: 'region', description: 'S3 region.', parse: text, scope: 'worker' },
  { key: 's3Bucket', env: 'DEEPSIFT_S3_BUCKET', flag: 's3-bucket', defaultValue: DEFAULT_S3_BUCKET, unit: 'bucket', description: 'Bucket with incoming/, reports/ and the work/ area.', parse: name, scope: 'worker' },
  { key: 's3ForcePathStyle', env: 'DEEPSIFT_S3_FORCE_PATH_STYLE', flag: 's3-force-path-style', defaultValue: undefined, unit: 'boolean', description: 'Path-style S3 URLs; default true when DEEPSIFT_S3_ENDPOINT is set.', parse: boolean, scope: 'worker' },
  { key: 's3PollIntervalMs', env: 'DEEPSIFT_S3_POLL_INTERVAL_MS', flag: 's3-poll-interval', defaultValue: 0, unit: 'ms', description: 'How often ingest lists incoming/ for new videos, for stores without notifications; 0 disables.', parse: integer(0), scope: 'worker' },
  { key: 'partialReportTimeoutMs', env: 'DEEPSIFT_PARTIAL_REPORT_TIMEOUT_MS', flag: 'partial-report-timeout', defaultValue: DEFAULT_PARTIAL_REPORT_TIMEOUT_MS, unit: 'ms', description: 'After this long without every detector’s scores, the aggregator writes a partial report.', parse: integer(1), scope: 'worker' },
  { key: 'shutdownGraceMs', env: 'DEEPSIFT_SHUTDOWN_GRACE_MS', flag: 'shutdown-grace', defaultValue: DEFAULT_SHUTDOWN_GRACE_MS, unit: 'ms', description: 'On SIGTERM, how long in-flight work may take before it is handed back.', parse: integer(0), scope: 'worker' },
  { key: 'deliveryLimit', env: 'DEEPSIFT_DELIVERY_LIMIT', flag: 'delivery-limit', defaultValue: DEFAULT_DELIVERY_LIMIT, unit: 'deliveries', description: 'Deliveries without an acknowledgement (worker crashes) before the broker dead-letters a message.', parse: integer(1), scope: 'worker' },
  { key: 'decodeDeadlineMs', env: 'DEEPSIFT_DECODE_DEADLINE_MS', flag: 'decode-deadline', defaultValue: DEFAULT_DECODE_DEADLINE_MS, unit: 'ms', description: 'A video whose probe, download and decoding run longer is stopped (ffmpeg killed) and retried; DEADLINE_EXCEEDED after the last attempt.', parse: integer(1), scope: 'all' },
  { key: 'stageDeadlineMs', env: 'DEEPSIFT_STAGE_DEADLINE_MS', flag: 'stage-deadline', defaultValue: DEFAULT_STAGE_DEADLINE_MS, unit: 'ms', description: 'The same deadline for one message of the face cropper, a detector or the aggregator.', parse: integer(1), scope: 'all' },
  { key: 'dependencyGiveUpMs', env: 'DEEPSIFT_DEPENDENCY_GIVE_UP_MS', flag: 'dependency-give-up', defaultValue: DEFAULT_DEPENDENCY_GIVE_UP_MS, unit: 'ms', description: 'A dependency (ffmpeg, the bucket, the report store) unusable this long makes a worker exit with status 3 for its orchestrator to restart; meanwhile it takes no work and is not ready.', parse: integer(1), scope: 'worker' },
  { key: 'frameEncoding', env: 'DEEPSIFT_FRAME_ENCODING', flag: 'frame-encoding', defaultValue: undefined, unit: 'name', description: 'How sampled frames are stored: jpeg, png (lossless) or raw RGB. Default: jpeg for a frame extractor running apart from the face cropper (frames cross the bucket), raw in memory (scan, the decode group); set on scan, it shows what the encoding does to the scores.', parse: oneOf('jpeg', 'png', 'raw'), scope: 'all' },
  { key: 'frameJpegQuality', env: 'DEEPSIFT_FRAME_JPEG_QUALITY', flag: 'frame-jpeg-quality', defaultValue: 95, unit: 'quality', description: 'JPEG quality of encoded frames (1–100).', parse: integer(1), scope: 'all' },
  { key: 'cropEncoding', env: 'DEEPSIFT_CROP_ENCODING', flag: 'crop-encoding', defaultValue: 'lossless', unit: 'name', description: 'How a face cropper worker stores crops for the detector workers: lossless (crops cut from YUV frames as their planes, predicted and Huffman-coded, 5.6× fewer bytes than raw RGB on the sample video, ~0.1 CPU-s per 1080p video to encode and decode; other crops as WebP, 2.8×; webp is an older name for it) or raw RGB.', parse: (raw) => (raw === 'webp' ? 'lossless' : oneOf('lossless', 'raw')(raw)), scope: 'worker' },
  { key: 'allowPrivateUrls', env: 'DEEPSIFT_ALLOW_PRIVATE_URLS', flag: 'allow-private-urls', defaultValue: false, unit: 'boolean', description: 'Let URL jobs fetch from loopback and private addresses.', parse: boolean, scope: 'worker' },
  { key: 'serveHost', env: 'DEEPSIFT_SERVE_HOST', flag: 'host', defaultValue: DEFAULT_SERVE_HOST, unit: 'address', description: 'Address `deepsift serve` listens on (`--host`).', parse: text, scope: 'serve' },
  { key: 'serveTcpPort', env: 'DEEPSIFT_SERVE_PORT', flag: 'port', defaultValue: DEFAULT_SERVE_PORT, unit: 'TCP port', description: 'Port `deepsift serve` listens on (`--port`; 0 picks a free one).', parse: integer(0), scope: 'serve' },
  { key: 'apiKeysFile', env: 'DEEPSIFT_API_KEYS_FILE', flag: 'api-keys-file', defaultValue: undefined, unit: 'path', description: 'File of API keys (bearer tokens), one per line (`#` comments); keys are hashed in memory.', parse: text, scope: 'serve' },
  { key: 'apiKeys', env: 'DEEPSIFT_API_KEYS', flag: 'api-keys', defaultValue: undefined, unit: 'keys', description: 'API keys given directly, comma-separated (at least 16 characters each).', parse: list, scope: 'serve' },
  { key: 'serveRateLimitPerMinute', env: 'DEEPSIFT_SERVE_RATE_LIMIT', flag: 'rate-limit', defaultValue: DEFAULT_SERVE_RATE_LIMIT_PER_MINUTE, unit: 'requests per minute', description: 'API requests per minute per key (per address without auth); more are answered 429.', parse: integer(1), scope: 'serve' },
  { key: 'serveMaxUploadBytes', env: 'DEEPSIFT_SERVE_MAX_UPLOAD_BYTES', flag: 'max-upload-bytes', defaultValue: DEFAULT_SERVE_MAX_UPLOAD_BYTES, unit: 'bytes', description: 'Largest upload; larger ones are answered 413.', parse: integer(1), scope: 'serve' },
  { key: 'serveCorsOrigins', env: 'DEEPSIFT_SERVE_CORS_ORIGINS', flag: 'cors-origins', defaultValue: undefined, unit: 'origins', description: 'Origins allowed to call the API from a browser (comma-separated); CORS is off when unset.', parse: list, scope: 'serve' },
  { key: 'serveUploadDir', env: 'DEEPSIFT_SERVE_UPLOAD_DIR', flag: 'upload-dir', defaultValue: DEFAULT_SERVE_UPLOAD_DIR, unit: 'path', description: 'Folder for uploaded videos (embedded back end), as `<videoId>.<ext>`.', parse: text, scope: 'serve' },
  { key: 'serveReportsDir', env: 'DEEPSIFT_SERVE_REPORTS_DIR', flag: 'reports-dir', defaultValue: DEFAULT_SERVE_REPORTS_DIR, unit: 'path', description: 'Folder for reports (embedded back end), as `<videoId>.json`.', parse: text, scope: 'serve' },
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
    const flag = o.scope === 'all' ? `\`--${o.flag}\`` : o.scope === 'serve' ? '(serve)' : '(workers)';
    return `| \`${o.env}\` | ${flag} | \`${value}\` | ${o.unit} | ${o.description} |`;
  });
  return ['| Variable | `scan` flag | Default | Unit | Meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export { ConfigError };
