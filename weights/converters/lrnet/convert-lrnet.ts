import { buildLrnetModel } from './lrnet-graph';
import type { LrnetWeights } from './lrnet-reference';
import { readLrnetStream } from './lrnet-weights';

/** Reads both streams of a weight set from upstream's g1.pth and g2.pth checkpoints. */
export function readLrnetWeights(g1Checkpoint: Uint8Array, g2Checkpoint: Uint8Array): LrnetWeights {
  return { g1: readLrnetStream(g1Checkpoint), g2: readLrnetStream(g2Checkpoint) };
}

/**
 * Converts an LRNet weight set (upstream g1.pth, g2.pth) to one serialized ONNX model
 * (see lrnet-graph.ts); `label` (e.g. `dfo`) goes into the model's doc string.
 */
export function convertLrnetCheckpoints(g1Checkpoint: Uint8Array, g2Checkpoint: Uint8Array, label: string): Uint8Array {
  return buildLrnetModel(readLrnetWeights(g1Checkpoint, g2Checkpoint), label);
}
