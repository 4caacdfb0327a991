import { randomUUID } from 'node:crypto';
import { MesoNetConversionError } from './conversion-error';
import { loadH5wasm, type H5Wasm } from './h5wasm-loader';

/** One weight array of a Keras layer, e.g. `kernel` or `moving_mean`. */
export interface KerasWeight {
  shape: number[];
  /** Row-major (C order) values, as HDF5 stores them. */
  values: Float32Array;
}

/** A layer of a Keras weight file: its name and weights keyed by short name (`kernel`, `gamma`, ...). */
export interface KerasLayer {
  name: string;
  weights: Map<string, KerasWeight>;
}

/** The content of a Keras 2 `save_weights` HDF5 file. */
export interface KerasWeightFile {
  kerasVersion: string;
  /** Every layer, in the file's `layer_names` order (the model's topological order). */
  layers: KerasLayer[];
}

/**
 * Reads a Keras 2 `model.save_weights()` HDF5 file: a root attribute `layer_names`,
 * one group per layer with an attribute `weight_names`, and one float32 dataset per
 * weight at `<layer>/<weight name>` (Keras 2.1 `topology.save_weights_to_hdf5_group`).
 */
export async function readKerasWeights(h5Bytes: Uint8Array): Promise<KerasWeightFile> {
  // Checked first: h5wasm does not throw on a non-HDF5 file, it logs HDF5 diagnostics.
  if (!hasHdf5Signature(h5Bytes)) {
    throw new MesoNetConversionError('INVALID_H5', 'The weight file has no HDF5 signature.');
  }
  const h5wasm = await loadH5wasm();
  const { FS } = await h5wasm.ready;
  // h5wasm opens files by path in its in-memory (Emscripten) file system.
  const path = `/deepsift-mesonet-${randomUUID()}.h5`;
  FS.writeFile(path, h5Bytes);
  try {
    const file = openFile(h5wasm, path);
    try {
      const layerNames = stringList(file.attrs['layer_names']?.value, 'layer_names');
      return {
        kerasVersion: String(file.attrs['keras_version']?.value ?? 'unknown'),
        layers: layerNames.map((name) => readLayer(file, name)),
      };
    } finally {
      file.close();
    }
  } finally {
    FS.unlink(path);
  }
}

/**
 * The layers whose default Keras name is `<kind>_<n>` (e.g. `conv2d_7`), sorted by n:
 * Keras numbers default names by a per-session counter, so this is creation order.
 */
export function layersInCreationOrder(file: KerasWeightFile, kind: string): KerasLayer[] {
  const pattern = new RegExp(`^${kind}_(\\d+)$`);
  return file.layers
    .map((layer) => ({ layer, index: Number(pattern.exec(layer.name)?.[1] ?? NaN) }))
    .filter(({ index }) => !Number.isNaN(index))
    .sort((a, b) => a.index - b.index)
    .map(({ layer }) => layer);
}

/** The weight `name` of a layer, checked against the expected shape. */
export function weightOf(layer: KerasLayer, name: string, expectedShape: number[]): Float32Array {
  const weight = layer.weights.get(name);
  if (weight === undefined) {
    throw new MesoNetConversionError('UNEXPECTED_LAYERS', `Layer ${layer.name} has no weight ${name}.`);
  }
  if (weight.shape.join(',') !== expectedShape.join(',')) {
    throw new MesoNetConversionError(
      'UNEXPECTED_LAYERS',
      `Layer ${layer.name} weight ${name} has shape [${weight.shape}], expected [${expectedShape}].`,
    );
  }
  return weight.values;
}

/**
 * HDF5 files start with this signature at byte 0, 512, 1024, 2048, ... (HDF5 File Format
 * Specification 3.0, section II.A "Format Signature").
 */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((byte, index) => bytes[offset + index] === byte)) return true;
  }
  return false;
}

function openFile(h5wasm: H5Wasm, path: string): InstanceType<H5Wasm['File']> {
  try {
    return new h5wasm.File(path, 'r');
  } catch (cause) {
    throw new MesoNetConversionError('INVALID_H5', 'The weight file is not a readable HDF5 file.', { cause });
  }
}

function readLayer(file: InstanceType<H5Wasm['File']>, layerName: string): KerasLayer {
  const group = file.get(layerName);
  if (group === null || !('attrs' in group)) {
    throw new MesoNetConversionError('INVALID_H5', `Layer group ${layerName} is missing.`);
  }
  const weightNames = stringList(group.attrs['weight_names']?.value, `${layerName} weight_names`);
  const weights = new Map<string, KerasWeight>();
  for (const weightName of weightNames) {
    const dataset = file.get(`${layerName}/${weightName}`);
    if (dataset === null || !('dtype' in dataset) || dataset.dtype !== '<f') {
      throw new MesoNetConversionError('INVALID_H5', `Weight ${weightName} is not a float32 dataset.`);
    }
    // `conv2d_5/kernel:0` → `kernel`. Values are copied because h5wasm's arrays may
    // come from another realm (see loadH5wasm).
    const shortName = weightName.replace(/^.*\//, '').replace(/:\d+$/, '');
    const values = Float32Array.from(dataset.value as ArrayLike<number>);
    weights.set(shortName, { shape: [...(dataset.shape ?? [])], values });
  }
  return { name: layerName, weights };
}

/** Keras stores name lists as fixed-length string arrays; an empty list may come back as a non-array. */
function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) {
    throw new MesoNetConversionError('INVALID_H5', `Attribute ${what} is missing.`);
  }
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.map((item) => String(item));
}
