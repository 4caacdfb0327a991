/**
 * The weights of one LRNet stream (g1 or g2), read from upstream's PyTorch state_dict and
 * checked against the architecture of `LRNet` in frederickszk/LRNet `training/utils/model.py`:
 * a learned initial hidden state [2, 1, 32], a bidirectional GRU (136 → 32 per direction),
 * a residual feed-forward block (64 → 64 → ReLU → 64, plus its input) and a 64 → 2 head.
 */
import { LrnetConversionError } from './checkpoint-error';
import { type CheckpointTensor, readPytorchStateDict } from './pytorch-checkpoint';

/** 68 landmarks × (x, y), the per-frame feature size (Sun et al., CVPR 2021, Section 3.2). */
export const LANDMARK_FEATURES = 136;
/** GRU units per direction (`rnn_unit=32` upstream). */
export const GRU_UNITS = 32;
/** Hidden units of the residual feed-forward block (`res_hidden=64` upstream). */
export const RESIDUAL_HIDDEN = 64;
/** Softmax outputs: index 0 real, index 1 fake (upstream labels original 0, manipulated 1). */
export const CLASSES = 2;

/** One GRU direction in PyTorch's layout: gates stacked as rows in the order r, z, n. */
export interface GruDirectionWeights {
  /** [3·32, 136] */
  inputWeights: Float32Array;
  /** [3·32, 32] */
  recurrentWeights: Float32Array;
  /** [3·32] */
  inputBias: Float32Array;
  /** [3·32] */
  recurrentBias: Float32Array;
}

/** The checked tensors of one LRNet stream. */
export interface LrnetStreamWeights {
  /** Learned initial hidden state, [2 directions, 32]: forward then backward. */
  initialHidden: Float32Array;
  forward: GruDirectionWeights;
  backward: GruDirectionWeights;
  /** Residual block: Linear(64, 64) [out, in], ReLU, Linear(64, 64). */
  residual1Weight: Float32Array;
  residual1Bias: Float32Array;
  residual2Weight: Float32Array;
  residual2Bias: Float32Array;
  /** Head: Linear(64, 2) [out, in]. */
  headWeight: Float32Array;
  headBias: Float32Array;
}

/** Reads one stream's checkpoint (g1.pth or g2.pth); throws `LrnetConversionError`. */
export function readLrnetStream(checkpoint: Uint8Array): LrnetStreamWeights {
  const tensors = readPytorchStateDict(checkpoint);
  const take = (name: string, shape: number[]): Float32Array => tensorOf(tensors, name, shape);
  const gates = 3 * GRU_UNITS;
  const twoDirections = 2 * GRU_UNITS;
  const direction = (suffix: string): GruDirectionWeights => ({
    inputWeights: take(`gru.weight_ih_l0${suffix}`, [gates, LANDMARK_FEATURES]),
    recurrentWeights: take(`gru.weight_hh_l0${suffix}`, [gates, GRU_UNITS]),
    inputBias: take(`gru.bias_ih_l0${suffix}`, [gates]),
    recurrentBias: take(`gru.bias_hh_l0${suffix}`, [gates]),
  });
  const weights: LrnetStreamWeights = {
    initialHidden: take('hidden_state', [2, 1, GRU_UNITS]),
    forward: direction(''),
    backward: direction('_reverse'),
    residual1Weight: take('dense.1.fn.net.0.weight', [RESIDUAL_HIDDEN, twoDirections]),
    residual1Bias: take('dense.1.fn.net.0.bias', [RESIDUAL_HIDDEN]),
    residual2Weight: take('dense.1.fn.net.3.weight', [twoDirections, RESIDUAL_HIDDEN]),
    residual2Bias: take('dense.1.fn.net.3.bias', [twoDirections]),
    headWeight: take('dense.3.weight', [CLASSES, twoDirections]),
    headBias: take('dense.3.bias', [CLASSES]),
  };
  const expected = 15; // the initial state, 4 tensors per GRU direction, 6 of the dense layers
  if (tensors.size !== expected) {
    const names = [...tensors.keys()].join(', ');
    throw new LrnetConversionError('UNEXPECTED_WEIGHTS', `Expected ${expected} LRNet tensors, found ${tensors.size} (${names}).`);
  }
  return weights;
}

function tensorOf(tensors: ReadonlyMap<string, CheckpointTensor>, name: string, shape: number[]): Float32Array {
  const tensor = tensors.get(name);
  if (tensor === undefined) {
    throw new LrnetConversionError('UNEXPECTED_WEIGHTS', `Tensor ${name} is missing: is this an LRNet g1/g2 checkpoint?`);
  }
  if (tensor.shape.length !== shape.length || tensor.shape.some((dim, axis) => dim !== shape[axis])) {
    throw new LrnetConversionError('UNEXPECTED_WEIGHTS', `Tensor ${name} has shape [${tensor.shape}], expected [${shape}].`);
  }
  return tensor.values;
}
