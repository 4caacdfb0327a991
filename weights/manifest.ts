/**
 * The model manifest: one JSON file per model under `weights/models/`, describing
 * where its files come from, how to turn them into an ONNX graph, and how to feed it.
 */
import type { GraphOptimizationLevel } from '../common/onnx-session';

/**
 * What a model does in the pipeline: `deepfake-detector` scores face crops,
 * `temporal-detector` scores sequences of facial landmarks (LRNet), `landmark-model`
 * places 68 facial landmarks in a face crop.
 */
export type ModelKind = 'face-detector' | 'deepfake-detector' | 'temporal-detector' | 'landmark-model';

/**
 * One upstream file of a model, byte-for-byte as published. Built-in manifests give `url`
 * and `mirrorPath`; a user's manifest (`DEEPSIFT_MODELS_DIR`) gives `url` or a local `path`.
 */
export interface ManifestFile {
  /** File name in the cache, e.g. `Meso4_DF.h5`. */
  name: string;
  /** Upstream download URL. */
  url?: string;
  /** Local file (users' manifests only), relative to the manifest's folder; made absolute when loaded. */
  path?: string;
  /** Lower-case hex SHA-256 of the upstream bytes; the fetcher refuses anything else. */
  sha256: string;
  /** Path of the same file inside a mirror of the upstream files (`DEEPSIFT_WEIGHTS_MIRROR`). */
  mirrorPath?: string;
  /** Exact size of the upstream file in bytes; a download that runs past it is cut off. */
  sizeBytes?: number;
}

/** How upstream files become the ONNX graph that ONNX Runtime loads. */
export type ManifestConverter =
  | {
      /** Reads Keras 2 MesoNet weight files and builds the graph (weights/converters/mesonet). */
      name: 'mesonet-keras-h5';
      /** MesoNet architecture the weights belong to. */
      architecture: 'meso4' | 'mesoinception4';
    }
  | {
      /** Reads face-api's TensorFlow.js weights (manifest JSON, then the .bin shard) into the 68-point landmark net (weights/converters/faceapi). */
      name: 'faceapi-tfjs-landmarks';
    }
  | {
      /** Reads LRNet's two PyTorch checkpoints (g1, g2, in that order) into one graph (weights/converters/lrnet). */
      name: 'lrnet-pytorch';
    }
  | {
      /**
       * Rewrites an upstream ONNX graph whose weights are also listed as graph inputs, so
       * ONNX Runtime may treat them as constants (fold and fuse); see converters/onnx-initializers.ts.
       */
      name: 'onnx-initializers-as-constants';
    };

/**
 * How pixels become the network's input tensor:
 * `value = (pixel * scale - mean[c]) / std[c]`, channel c in `channelOrder`.
 */
export interface ManifestInput {
  /** Input tensor name in the ONNX graph. */
  name: string;
  width: number;
  height: number;
  layout: 'NCHW' | 'NHWC';
  channelOrder: 'RGB' | 'BGR';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** False when the graph's batch dimension is fixed at 1 (UltraFace). */
  dynamicBatch: boolean;
}

/**
 * The input of a temporal detector: blocks of consecutive frames of one face's 68 landmarks
 * (iBUG 300-W order), [N, blockFrames, 136], x then y per point.
 */
export interface ManifestSequenceInput {
  /** Input tensor name in the ONNX graph. */
  name: string;
  kind: 'landmark-blocks';
  /** Frames per block. */
  blockFrames: number;
  /**
   * Coordinate space: `lrnet-400` is LRNet's, points in a square face crop scaled to 400×400
   * (1.2 × the landmarks' larger side), calibrated, then mapped to [−1, 1] as (p − 200) / 200.
   */
  coordinates: 'lrnet-400';
}

/** What a deepfake detector's output means. */
export interface ManifestOutput {
  /** Output tensor name in the ONNX graph. */
  name: string;
  /** `probability`: one value in [0, 1] per input (already a sigmoid). */
  kind: 'probability';
  /** Which class the probability is for; `real` outputs are inverted to P(fake). */
  positiveClass: 'fake' | 'real';
}

/** ONNX Runtime settings of one model. */
export interface ManifestOnnxRuntime {
  /**
   * Graph optimisation level; `all` when absent. `all` adds the CPU layout transform to
   * blocked channels (NCHWc), which costs more than it saves on a graph that concatenates
   * branches of a few channels each.
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/** A short model card, shown by `deepsift weights list` and copied into reports. */
export interface ModelCard {
  paper: string;
  trainingData: string;
  license: string;
  limits: string[];
}

/** One model, as described by `weights/models/<name>.json`: an image model or a temporal detector. */
export type ModelManifest = ImageModelManifest | TemporalDetectorManifest;

/** The fields every manifest has. */
interface ManifestCommon {
  name: string;
  description: string;
  files: ManifestFile[];
  /** Present when the upstream files are not ONNX and must be converted. */
  converter?: ManifestConverter;
  /** File name (in the cache) of the ONNX graph to load: an upstream file or the converter's output. */
  onnxFile: string;
  /** How ONNX Runtime should run the graph, where its defaults do not suit it. */
  onnxRuntime?: ManifestOnnxRuntime;
  /** Default decision threshold on the model's score (P(fake) or face confidence). */
  threshold: number;
  card: ModelCard;
}

/** A temporal detector (LRNet): scores blocks of landmark frames; its output is P(fake) per block. */
export interface TemporalDetectorManifest extends ManifestCommon {
  kind: 'temporal-detector';
  input: ManifestSequenceInput;
  output: ManifestOutput;
}

/** A model that reads images: a face detector, a face-crop deepfake detector or a landmark model. */
export interface ImageModelManifest extends ManifestCommon {
  kind: 'face-detector' | 'deepfake-detector' | 'landmark-model';
  input: ManifestInput;
  /** Deepfake detectors only. */
  output?: ManifestOutput;
  /** Deepfake detectors only: the default per-video aggregation. */
  aggregation?: 'track-max' | 'confident';
  /** Deepfake detectors only: margin added around the face box on each side, as a fraction of its size. */
  cropMargin?: number;
}
