/**
 * LRNet as one ONNX graph: both streams of a weight set behind a single input of landmark
 * blocks. g1 reads the block, g2 the differences of consecutive frames (computed in the
 * graph), each through ONNX's GRU operator; the output is upstream's block score.
 */
import { OnnxGraphBuilder } from '../onnx-graph-builder';
import type { LrnetWeights } from './lrnet-reference';
import { CLASSES, GRU_UNITS, LANDMARK_FEATURES, RESIDUAL_HIDDEN, type GruDirectionWeights, type LrnetStreamWeights } from './lrnet-weights';

/** Graph input: [N blocks, T frames, 136] float32, landmarks in upstream's [−1, 1] space. */
export const LRNET_INPUT = 'landmarks';
/** Graph output: [N], the block score (mean of the two streams' P(fake)). */
export const LRNET_OUTPUT = 'p_fake';
/** Extra outputs: [N] P(fake) of each stream, for inspection. */
export const LRNET_STREAM_OUTPUTS = ['p_fake_g1', 'p_fake_g2'] as const;

/** Largest int64, the "to the end" bound of ONNX Slice. */
const TO_END = Number.MAX_SAFE_INTEGER;

/** Builds the serialized ONNX model of a weight set; `label` names it in the doc string. */
export function buildLrnetModel(weights: LrnetWeights, label: string): Uint8Array {
  const graph = new OnnxGraphBuilder();
  const framesFirst = (input: string, name: string): string =>
    graph.addNode('Transpose', [input], name, { perm: { ints: [1, 0, 2] } });
  const sliceFrames = (start: number, end: number, name: string): string =>
    graph.addNode('Slice', [
      LRNET_INPUT,
      graph.addInt64Initializer(`${name}/starts`, [1], [start]),
      graph.addInt64Initializer(`${name}/ends`, [1], [end]),
      graph.addInt64Initializer(`${name}/axes`, [1], [1]),
    ], name);
  const difference = graph.addNode('Sub', [sliceFrames(1, TO_END, 'next_frames'), sliceFrames(0, -1, 'frames')], 'differences');

  // The learned initial state [2, 1, 32] is broadcast to [2, N, 32] by Expand with [1, N, 1].
  const batch = graph.addNode('Slice', [
    graph.addNode('Shape', [LRNET_INPUT], 'input_shape'),
    graph.addInt64Initializer('batch/starts', [1], [0]),
    graph.addInt64Initializer('batch/ends', [1], [1]),
    graph.addInt64Initializer('batch/axes', [1], [0]),
  ], 'batch');
  const one = graph.addInt64Initializer('one', [1], [1]);
  const broadcastShape = graph.addNode('Concat', [one, batch, one], 'initial_h_shape', { axis: { int: 0 } });

  const g1 = stream(graph, 'g1', framesFirst(LRNET_INPUT, 'g1/frames_first'), weights.g1, broadcastShape);
  const g2 = stream(graph, 'g2', framesFirst(difference, 'g2/frames_first'), weights.g2, broadcastShape);
  const sum = graph.addNode('Add', [g1, g2], 'stream_sum');
  const half = graph.addInitializer('half', [], new Float32Array([0.5]));
  const score = graph.addNode('Mul', [sum, half], LRNET_OUTPUT);
  return graph.serialize(
    [{ name: LRNET_INPUT, shape: ['N', 'T', LANDMARK_FEATURES] }],
    [{ name: score, shape: ['N'] }, { name: g1, shape: ['N'] }, { name: g2, shape: ['N'] }],
    {
      graphName: 'lrnet',
      docString:
        `LRNet (Sun et al., CVPR 2021) ${label} weights converted by deepsift from PyTorch checkpoints g1 and g2. ` +
        `Input ${LRNET_INPUT} [N, T, 136]: landmark blocks; output ${LRNET_OUTPUT} [N]: block P(fake).`,
    },
  );
}

/** One stream: bidirectional GRU → residual feed-forward → Linear(64, 2) → softmax → P(fake). */
function stream(graph: OnnxGraphBuilder, name: string, framesFirst: string, w: LrnetStreamWeights, broadcastShape: string): string {
  const H = GRU_UNITS;
  const initialState = graph.addInitializer(`${name}/hidden_state`, [2, 1, H], w.initialHidden);
  const initialH = graph.addNode('Expand', [initialState, broadcastShape], `${name}/initial_h`);
  const [, lastState] = graph.addMultiOutputNode(
    'GRU',
    [
      framesFirst,
      graph.addInitializer(`${name}/W`, [2, 3 * H, LANDMARK_FEATURES], concat(onnxGateOrder(w.forward.inputWeights), onnxGateOrder(w.backward.inputWeights))),
      graph.addInitializer(`${name}/R`, [2, 3 * H, H], concat(onnxGateOrder(w.forward.recurrentWeights), onnxGateOrder(w.backward.recurrentWeights))),
      graph.addInitializer(`${name}/B`, [2, 6 * H], concat(gruBias(w.forward), gruBias(w.backward))),
      '',
      initialH,
    ],
    ['', `${name}/Y_h`],
    // PyTorch applies the reset gate after the recurrent product: ONNX linear_before_reset = 1.
    { hidden_size: { int: H }, direction: { string: 'bidirectional' }, linear_before_reset: { int: 1 } },
  );
  // Y_h [2, N, 32] → [N, 2, 32] → [N, 64]: forward state then backward state, as torch.cat(list(hidden), 1).
  const perBlock = graph.addNode('Transpose', [lastState!], `${name}/Y_h_per_block`, { perm: { ints: [1, 0, 2] } });
  const features = graph.addNode('Reshape', [perBlock, graph.addInt64Initializer(`${name}/features_shape`, [2], [0, 2 * H])], `${name}/features`);
  const dense = (input: string, layer: string, weight: Float32Array, bias: Float32Array, outputs: number, inputs: number): string =>
    graph.addNode('Gemm', [
      input,
      graph.addInitializer(`${name}/${layer}/weight`, [outputs, inputs], weight),
      graph.addInitializer(`${name}/${layer}/bias`, [outputs], bias),
    ], `${name}/${layer}`, { transB: { int: 1 } });
  const hidden = graph.addNode('Relu', [dense(features, 'residual1', w.residual1Weight, w.residual1Bias, RESIDUAL_HIDDEN, 2 * H)], `${name}/residual1/relu`);
  const residual = graph.addNode('Add', [dense(hidden, 'residual2', w.residual2Weight, w.residual2Bias, 2 * H, RESIDUAL_HIDDEN), features], `${name}/residual`);
  const probabilities = graph.addNode('Softmax', [dense(residual, 'head', w.headWeight, w.headBias, CLASSES, 2 * H)], `${name}/probabilities`, { axis: { int: 1 } });
  const fakeIndex = graph.addInt64Initializer(`${name}/fake_index`, [], [1]);
  return graph.addNode('Gather', [probabilities, fakeIndex], `p_fake_${name}`, { axis: { int: 1 } });
}

/** PyTorch stacks gate rows r, z, n; ONNX GRU wants z, r, h. */
function onnxGateOrder(rows: Float32Array): Float32Array {
  const gate = rows.length / 3;
  return concat(rows.subarray(gate, 2 * gate), rows.subarray(0, gate), rows.subarray(2 * gate));
}

/** ONNX B of one direction: [Wb (z, r, h), Rb (z, r, h)]. */
function gruBias(direction: GruDirectionWeights): Float32Array {
  return concat(onnxGateOrder(direction.inputBias), onnxGateOrder(direction.recurrentBias));
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
