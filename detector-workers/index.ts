export { DynamicBatcher, type DynamicBatcherOptions, type BatchRunner } from './dynamic-batcher';
export { OnnxDeepfakeDetector } from './onnx-deepfake-detector';
export { DetectorWorker, type DetectorStageDeps, type DetectorStageOptions } from './detector-stage';
export { resizeForInput, toInputTensor } from './preprocess';
export { ModelMismatchError, checkGraphMatchesManifest } from './model-input-check';
