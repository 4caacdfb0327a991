/**
 * LRNet's forward pass in plain TypeScript, written from PyTorch's documented `nn.GRU`
 * equations rather than from ONNX's: the independent computation that the converted ONNX
 * graph is checked against. It runs in float32, rounding every product, sum and activation
 * as PyTorch's float32 model does, or in exact double precision: LRNet's GRU amplifies
 * rounding (the two differ by up to 3e-5 on upstream's demo landmarks with the ffpp
 * weights), so the float32 pass is the one to compare a float32 runtime with.
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 */
import { CLASSES, GRU_UNITS, LANDMARK_FEATURES, RESIDUAL_HIDDEN, type GruDirectionWeights, type LrnetStreamWeights } from './lrnet-weights';

/** The two streams of one LRNet weight set (Sun et al., CVPR 2021, Fig. 2). */
export interface LrnetWeights {
  /** g1: reads the landmarks of each frame. */
  g1: LrnetStreamWeights;
  /** g2: reads the differences between consecutive frames. */
  g2: LrnetStreamWeights;
}

/** Scores of one block of frames. */
export interface LrnetBlockScores {
  /** P(fake) of g1 on the landmarks. */
  g1: number;
  /** P(fake) of g2 on the frame-to-frame differences. */
  g2: number;
  /** Block score: the mean of the two (upstream `classify.py`). */
  score: number;
}

/** Arithmetic of the reference pass: float32 like PyTorch's model, or exact float64. */
export type ReferencePrecision = 'float32' | 'float64';

/** Scores one block: `frames` rows of 136 values (x, y interleaved, in [−1, 1]). */
export function referenceBlockScores(
  weights: LrnetWeights,
  block: Float32Array,
  frames: number,
  precision: ReferencePrecision = 'float32',
): LrnetBlockScores {
  const g1 = referenceStreamPFake(weights.g1, block, frames, precision);
  const g2 = referenceStreamPFake(weights.g2, frameDifferences(block, frames), frames - 1, precision);
  return { g1, g2, score: (g1 + g2) / 2 };
}

/** Row t of the result is frame t+1 minus frame t, for t < frames − 1. */
export function frameDifferences(block: Float32Array, frames: number): Float32Array {
  const diff = new Float32Array((frames - 1) * LANDMARK_FEATURES);
  for (let index = 0; index < diff.length; index += 1) diff[index] = block[index + LANDMARK_FEATURES]! - block[index]!;
  return diff;
}

/** Softmax P(fake) of one stream on a sequence of `frames` rows of 136 values. */
export function referenceStreamPFake(
  weights: LrnetStreamWeights,
  sequence: Float32Array,
  frames: number,
  precision: ReferencePrecision = 'float32',
): number {
  const round = precision === 'float32' ? Math.fround : (value: number): number => value;
  const forward = runDirection(weights.forward, weights.initialHidden.subarray(0, GRU_UNITS), sequence, frames, false, round);
  const backward = runDirection(weights.backward, weights.initialHidden.subarray(GRU_UNITS), sequence, frames, true, round);
  // torch.cat(list(hidden), dim=1): the forward direction's last state, then the backward one's.
  const features = [...forward, ...backward];
  const hidden = linear(weights.residual1Weight, weights.residual1Bias, features, RESIDUAL_HIDDEN, round).map((v) => Math.max(0, v));
  const residual = linear(weights.residual2Weight, weights.residual2Bias, hidden, features.length, round).map((v, i) => round(v + features[i]!));
  const logits = linear(weights.headWeight, weights.headBias, residual, CLASSES, round);
  const top = Math.max(...logits);
  const exp = logits.map((v) => round(Math.exp(round(v - top))));
  return round(exp[1]! / round(exp[0]! + exp[1]!));
}

function runDirection(
  w: GruDirectionWeights,
  initial: Float32Array,
  sequence: Float32Array,
  frames: number,
  reverse: boolean,
  round: (value: number) => number,
): number[] {
  const H = GRU_UNITS;
  let h = Array.from(initial);
  for (let step = 0; step < frames; step += 1) {
    const t = reverse ? frames - 1 - step : step;
    const x = sequence.subarray(t * LANDMARK_FEATURES, (t + 1) * LANDMARK_FEATURES);
    const gi = linear(w.inputWeights, w.inputBias, x, 3 * H, round);
    const gh = linear(w.recurrentWeights, w.recurrentBias, h, 3 * H, round);
    const next = new Array<number>(H);
    for (let u = 0; u < H; u += 1) {
      const r = round(sigmoid(round(gi[u]! + gh[u]!)));
      const z = round(sigmoid(round(gi[H + u]! + gh[H + u]!)));
      const n = round(Math.tanh(round(gi[2 * H + u]! + round(r * gh[2 * H + u]!))));
      next[u] = round(round(round(1 - z) * n) + round(z * h[u]!));
    }
    h = next;
  }
  return h;
}

/** y = W x + b with W [out, in], row-major; `round` applied to every product and sum. */
function linear(weight: Float32Array, bias: Float32Array, x: ArrayLike<number>, out: number, round: (value: number) => number): number[] {
  const inputs = x.length;
  const y = new Array<number>(out);
  for (let o = 0; o < out; o += 1) {
    let sum = 0;
    for (let i = 0; i < inputs; i += 1) sum = round(sum + round(weight[o * inputs + i]! * x[i]!));
    y[o] = round(sum + bias[o]!);
  }
  return y;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}
