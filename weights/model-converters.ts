/**
 * Converters that turn upstream files into the ONNX graph a manifest names. They are
 * passed in through `WeightsOptions.converters`, so tests can substitute fakes.
 */
import type { ManifestConverter } from './manifest';
import { convertFaceApiLandmarks } from './converters/faceapi';
import { convertLrnetCheckpoints } from './converters/lrnet';
import { convertMesoNetH5 } from './converters/mesonet';
import { dynamicBatchOf, initializersAsConstants } from './converters/onnx-initializers';
import { ConversionError } from './weights-errors';

/** Turns upstream file bytes (in manifest order) into ONNX bytes. */
export interface ModelConverter {
  /** Changes whenever the output for the same input may change; older conversions are then redone. */
  readonly version: string;
  convert(sources: readonly Uint8Array[], spec: ManifestConverter, model: string): Promise<Uint8Array>;
}

/** One converter per manifest converter name. */
export type ConverterSet = Readonly<Record<ManifestConverter['name'], ModelConverter>>;

/** Bump when `weights/converters/mesonet` changes its output for the same `.h5` file. */
export const MESONET_CONVERTER_VERSION = '1';

/** Converts one MesoNet Keras 2 weights file with `weights/converters/mesonet`. */
export const mesoNetKerasH5Converter: ModelConverter = {
  version: MESONET_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [h5] = sources;
    if (h5 === undefined || sources.length !== 1) {
      throw new ConversionError(model, spec.name, `expects exactly one .h5 file, got ${sources.length}.`);
    }
    if (spec.name !== 'mesonet-keras-h5') throw new ConversionError(model, spec.name, 'is not a MesoNet conversion.');
    return convertMesoNetH5(h5, spec.architecture);
  },
};

/** Bump when `weights/converters/lrnet` changes its output for the same checkpoints. */
export const LRNET_CONVERTER_VERSION = '1';

/** Converts LRNet's g1.pth and g2.pth (manifest order) into one graph with `weights/converters/lrnet`. */
export const lrnetPytorchConverter: ModelConverter = {
  version: LRNET_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [g1, g2] = sources;
    if (g1 === undefined || g2 === undefined || sources.length !== 2) {
      throw new ConversionError(model, spec.name, `expects the two checkpoints g1.pth and g2.pth, got ${sources.length} files.`);
    }
    return convertLrnetCheckpoints(g1, g2, model);
  },
};

/** Bump when `weights/converters/faceapi` changes its output for the same weights. */
export const FACEAPI_CONVERTER_VERSION = '1';

/** Converts face-api's 68-point landmark weights (manifest JSON, .bin shard) with `weights/converters/faceapi`. */
export const faceApiLandmarksConverter: ModelConverter = {
  version: FACEAPI_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [manifestJson, shard] = sources;
    if (manifestJson === undefined || shard === undefined || sources.length !== 2) {
      throw new ConversionError(model, spec.name, `expects the weights manifest and its .bin file, got ${sources.length} files.`);
    }
    return convertFaceApiLandmarks(manifestJson, shard);
  },
};

/** Bump when `converters/onnx-initializers.ts` changes its output for the same graph. */
export const ONNX_INITIALIZERS_CONVERTER_VERSION = '2';

/**
 * Lets ONNX Runtime fold the weights of graphs that list them as inputs (UltraFace), and
 * run several frames at once (a dynamic batch dimension; version 2).
 */
export const onnxInitializersConverter: ModelConverter = {
  version: ONNX_INITIALIZERS_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [graph] = sources;
    if (graph === undefined || sources.length !== 1) {
      throw new ConversionError(model, spec.name, `expects exactly one .onnx file, got ${sources.length}.`);
    }
    return dynamicBatchOf(initializersAsConstants(graph));
  },
};

/** The converters used unless options name others. */
export const DEFAULT_CONVERTERS: ConverterSet = Object.freeze({
  'mesonet-keras-h5': mesoNetKerasH5Converter,
  'lrnet-pytorch': lrnetPytorchConverter,
  'faceapi-tfjs-landmarks': faceApiLandmarksConverter,
  'onnx-initializers-as-constants': onnxInitializersConverter,
});
