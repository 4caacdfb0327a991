/** Converts LRNet's published PyTorch checkpoints (g1, g2) into one ONNX graph. */
export { convertLrnetCheckpoints, readLrnetWeights } from './convert-lrnet';
export { LrnetConversionError, type LrnetConversionErrorCode } from './checkpoint-error';
export { LRNET_INPUT, LRNET_OUTPUT, LRNET_STREAM_OUTPUTS } from './lrnet-graph';
export { frameDifferences, referenceBlockScores, type LrnetBlockScores, type LrnetWeights } from './lrnet-reference';
export { LANDMARK_FEATURES } from './lrnet-weights';
export { readPytorchStateDict, type CheckpointTensor } from './pytorch-checkpoint';
