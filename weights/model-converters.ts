/**
 * Converters that turn upstream files into the ONNX graph a manifest names. They are
 * passed in through `WeightsOptions.converters`, so tests can substitute fakes.
 */
import type { ManifestConverter } from './manifest';
import { initializersAsConstants } from './converters/onnx-initializers';
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

/** The signature `weights/converters/mesonet` exports. */
type ConvertMesoNetH5 = (h5Bytes: Uint8Array, architecture: 'meso4' | 'mesoinception4') => Promise<Uint8Array>;

// Required on first use through a computed specifier, so this file compiles whether or
// not the converter folder is present and non-MesoNet users never load h5wasm. `require`,
// not `import()`: under module "node16" TypeScript keeps `import()` native, and native
// ESM resolution does not find extensionless paths or folder index files.
const MESONET_CONVERTER_MODULE = './converters/mesonet';

function loadConvertMesoNetH5(model: string): ConvertMesoNetH5 {
  let loaded: { convertMesoNetH5?: unknown };
  try {
    loaded = require(MESONET_CONVERTER_MODULE) as { convertMesoNetH5?: unknown };
  } catch (err) {
    throw new ConversionError(model, 'mesonet-keras-h5', `cannot load ${MESONET_CONVERTER_MODULE}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof loaded.convertMesoNetH5 !== 'function') {
    throw new ConversionError(model, 'mesonet-keras-h5', `${MESONET_CONVERTER_MODULE} does not export convertMesoNetH5.`);
  }
  return loaded.convertMesoNetH5 as ConvertMesoNetH5;
}

/** Converts one MesoNet Keras 2 weights file with `weights/converters/mesonet`. */
export const mesoNetKerasH5Converter: ModelConverter = {
  version: MESONET_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [h5] = sources;
    if (h5 === undefined || sources.length !== 1) {
      throw new ConversionError(model, spec.name, `expects exactly one .h5 file, got ${sources.length}.`);
    }
    const convertMesoNetH5 = loadConvertMesoNetH5(model);
    if (spec.name !== 'mesonet-keras-h5') throw new ConversionError(model, spec.name, 'is not a MesoNet conversion.');
    return convertMesoNetH5(h5, spec.architecture);
  },
};

/** Bump when `converters/onnx-initializers.ts` changes its output for the same graph. */
export const ONNX_INITIALIZERS_CONVERTER_VERSION = '1';

/** Lets ONNX Runtime fold the weights of graphs that list them as inputs (UltraFace). */
export const onnxInitializersConverter: ModelConverter = {
  version: ONNX_INITIALIZERS_CONVERTER_VERSION,
  async convert(sources, spec, model) {
    const [graph] = sources;
    if (graph === undefined || sources.length !== 1) {
      throw new ConversionError(model, spec.name, `expects exactly one .onnx file, got ${sources.length}.`);
    }
    return initializersAsConstants(graph);
  },
};

/** The converters used unless options name others. */
export const DEFAULT_CONVERTERS: ConverterSet = Object.freeze({
  'mesonet-keras-h5': mesoNetKerasH5Converter,
  'onnx-initializers-as-constants': onnxInitializersConverter,
});
