export { DynamicBatcher, type DynamicBatcherOptions, type BatchRunner } from './dynamic-batcher';
export { OnnxDeepfakeDetector } from './onnx-deepfake-detector';
export { DetectorWorker, type DetectorStageDeps, type DetectorStageOptions } from './detector-stage';
export { resizeForInput, toInputTensor } from './preprocess';
export { ModelMismatchError, checkGraphMatchesManifest } from './model-input-check';
export { OnnxTemporalDetector } from './onnx-temporal-detector';
export { LRNET_BLOCK_FRAMES, landmarkBlocks, summariseBlocks, type LandmarkVideoScores } from './landmark-blocks';
export { LANDMARK_VALUES_PER_FRAME, LandmarkFileError, parseLandmarkText, type LandmarkSequence } from './landmark-sequence';
export { SharedReads } from './shared-reads';
