import type { FaceDetection, RawImage } from '../common/raw-image';
import type { GraphOptimizationLevel } from '../common/onnx-session';
import { FaceCropperError } from './face-cropper-error';

/** A frame already resized to a detector's `inputSize`, and the size of the frame it came from. */
export interface ResizedFrame {
  input: RawImage;
  frameWidth: number;
  frameHeight: number;
}

/** Finds faces in one full-resolution frame. Implementations hold a model session; `close()` frees it. */
export interface FaceDetector {
  /** Model id, e.g. `ultraface-rfb-640`; goes into logs, metrics and reports. */
  readonly name: string;
  /** Faces in `frame`, boxes in the frame's pixels, best score first, after NMS. */
  detect(frame: RawImage): Promise<FaceDetection[]>;
  /**
   * The network's input size, for detectors that can take a frame already resized to it
   * (see `detectResized`): the frame extractor then resizes in its decoding pass.
   */
  readonly inputSize?: { width: number; height: number };
  /** Faces in `input`, a frame already resized to `inputSize`; boxes in the pixels of the `frameWidth`×`frameHeight` original. */
  detectResized?(input: RawImage, frameWidth: number, frameHeight: number): Promise<FaceDetection[]>;
  /** `detectResized` for several frames in one run of the model: the faces of each, in order. */
  detectResizedBatch?(frames: readonly ResizedFrame[]): Promise<FaceDetection[][]>;
  /** Releases the model session. Idempotent; `detect` fails with `DETECTOR_CLOSED` afterwards. */
  close(): Promise<void>;
}

/** Options shared by every face detector. */
export interface FaceDetectorOptions {
  /** Minimum face confidence in [0, 1] to keep a candidate box. Default 0.7 (UltraFace's own demo threshold). */
  scoreThreshold: number;
  /** IoU above which NMS drops the lower-scoring box, in [0, 1]. Default 0.3 (UltraFace's demo value). */
  iouThreshold: number;
  /** Faces whose shorter box side is below this many full-resolution pixels are dropped. Default 40. */
  minFaceSizePx: number;
  /** Most faces kept per frame, best scores first. Default 16. */
  maxFaces: number;
  /** ONNX Runtime execution providers in order of preference, e.g. `['cpu']` or `['cuda', 'cpu']`. Default `['cpu']`. */
  executionProviders: string[];
  /** ONNX Runtime intra-op threads; unset lets ONNX Runtime use one per physical core. */
  intraOpNumThreads?: number;
  /** ONNX Runtime's graph optimisation level (the model manifest's `onnxRuntime`); unset is `all`. */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/** Defaults for {@link FaceDetectorOptions}. */
export const DEFAULT_FACE_DETECTOR_OPTIONS: FaceDetectorOptions = Object.freeze({
  scoreThreshold: 0.7,
  iouThreshold: 0.3,
  minFaceSizePx: 40,
  maxFaces: 16,
  executionProviders: ['cpu'],
});

/** Fills in defaults and fails fast, naming the option, on anything out of range. */
export function resolveFaceDetectorOptions(options: Partial<FaceDetectorOptions> = {}): FaceDetectorOptions {
  const resolved: FaceDetectorOptions = {
    ...DEFAULT_FACE_DETECTOR_OPTIONS,
    ...withoutUndefined(options),
    executionProviders: [...(options.executionProviders ?? DEFAULT_FACE_DETECTOR_OPTIONS.executionProviders)],
  };
  requireInRange('scoreThreshold', resolved.scoreThreshold, 0, 1);
  requireInRange('iouThreshold', resolved.iouThreshold, 0, 1);
  requireInRange('minFaceSizePx', resolved.minFaceSizePx, 0, Number.MAX_SAFE_INTEGER);
  requireInteger('maxFaces', resolved.maxFaces, 1);
  if (resolved.intraOpNumThreads !== undefined) requireInteger('intraOpNumThreads', resolved.intraOpNumThreads, 1);
  if (resolved.executionProviders.length === 0) {
    throw new FaceCropperError('INVALID_OPTIONS', 'executionProviders must name at least one provider');
  }
  return resolved;
}

/** Throws `INVALID_FRAME` unless `frame` is a consistent interleaved RGB image. */
export function assertRgbFrame(frame: RawImage, detector?: string): void {
  const { width, height, channels, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || channels !== 3) {
    throw new FaceCropperError('INVALID_FRAME', `frame must be RGB with positive integer size, got ${width}x${height}x${channels}`, { detector });
  }
  if (data.length !== width * height * 3) {
    throw new FaceCropperError('INVALID_FRAME', `frame data is ${data.length} bytes, expected ${width * height * 3}`, { detector });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function requireInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new FaceCropperError('INVALID_OPTIONS', `${name} must be a number in [${min}, ${max}], got ${value}`);
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new FaceCropperError('INVALID_OPTIONS', `${name} must be an integer >= ${min}, got ${value}`);
  }
}
