/**
 * Reads TensorFlow.js weight files as face-api publishes them: a JSON weights manifest
 * (groups of `{ name, shape, dtype, quantization }`) and the binary shard(s) it names,
 * holding the tensors one after the other. Quantised tensors are stored as uint8 and
 * restored as `value = q · scale + min` (TensorFlow.js `io.decodeWeights`).
 */
import { FaceApiConversionError } from './faceapi-conversion-error';

/** One restored float32 tensor. */
export interface TfjsTensor {
  shape: number[];
  values: Float32Array;
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** The tensors of a one-group weights manifest whose shard bytes are `shard`, by name. */
export function readTfjsWeights(manifestJson: Uint8Array, shard: Uint8Array): Map<string, TfjsTensor> {
  const weights = manifestWeights(manifestJson);
  const tensors = new Map<string, TfjsTensor>();
  let offset = 0;
  for (const weight of weights) {
    const count = weight.shape.reduce((product, dim) => product * dim, 1);
    const values = new Float32Array(count);
    const quantization = weight.quantization;
    if (quantization?.dtype === 'uint8' && weight.dtype === 'float32') {
      if (offset + count > shard.length) throw shortShard(weight.name);
      for (let index = 0; index < count; index += 1) values[index] = shard[offset + index]! * quantization.scale + quantization.min;
      offset += count;
    } else if (quantization === undefined && weight.dtype === 'float32') {
      if (offset + 4 * count > shard.length) throw shortShard(weight.name);
      const view = new DataView(shard.buffer, shard.byteOffset + offset, 4 * count);
      for (let index = 0; index < count; index += 1) values[index] = view.getFloat32(4 * index, true);
      offset += 4 * count;
    } else {
      throw new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', `Tensor ${weight.name} is stored as ${quantization?.dtype ?? weight.dtype}, which is not supported.`);
    }
    tensors.set(weight.name, { shape: weight.shape, values });
  }
  if (offset !== shard.length) {
    throw new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', `The weights file holds ${shard.length} bytes, the manifest describes ${offset}.`);
  }
  return tensors;
}

function manifestWeights(manifestJson: Uint8Array): ManifestWeight[] {
  let groups: unknown;
  try {
    groups = JSON.parse(new TextDecoder().decode(manifestJson));
  } catch (error) {
    throw new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', `The weights manifest is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray((groups[0] as { weights?: unknown }).weights)) {
    throw new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', 'Expected a weights manifest with exactly one group of weights.');
  }
  const weights = (groups[0] as { weights: ManifestWeight[] }).weights;
  for (const weight of weights) {
    if (typeof weight.name !== 'string' || !Array.isArray(weight.shape) || !weight.shape.every((dim) => Number.isInteger(dim) && dim > 0)) {
      throw new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', 'A weight entry lacks a name or a valid shape.');
    }
  }
  return weights;
}

function shortShard(name: string): FaceApiConversionError {
  return new FaceApiConversionError('INVALID_WEIGHTS_MANIFEST', `The weights file ends before tensor ${name}.`);
}
