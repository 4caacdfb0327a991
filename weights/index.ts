/** Public API of the weights module: manifests, the model registry, and the fetcher/cache. */
export type {
  ImageModelManifest,
  ManifestConverter,
  ManifestFile,
  ManifestInput,
  ManifestOnnxRuntime,
  ManifestOutput,
  ManifestSequenceInput,
  ModelCard,
  ModelKind,
  ModelManifest,
  TemporalDetectorManifest,
} from './manifest';
export { validateManifest } from './manifest-validator';
export { defaultModelsDir, getManifest, loadManifests, packageRoot, pickManifest } from './manifest-registry';
export { loadModelRegistry } from './model-registry';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  WEIGHTS_ENVIRONMENT,
  defaultCacheDir,
  resolveWeightsOptions,
  splitDirs,
} from './weights-options';
export type { EnvironmentVariableDoc, ResolvedWeightsOptions, WeightsOptions, WeightsProgressEvent } from './weights-options';
export { DEFAULT_DOWNLOAD_RETRY_POLICY } from './download-retry-policy';
export type { RetryPolicy } from '../common/retry-policy';
export { DEFAULT_CONVERTERS, FACEAPI_CONVERTER_VERSION, LRNET_CONVERTER_VERSION, MESONET_CONVERTER_VERSION } from './model-converters';
export type { ConverterSet, ModelConverter } from './model-converters';
export { ensureModel, ensureVerifiedFile, fetchModels, sourceUrl } from './model-fetcher';
export type { EnsuredModel } from './model-fetcher';
export { listModels, showModel, verifyModels } from './model-inventory';
export type { CachedFileCheck, CachedFileState, ModelStatus, ModelVerification } from './model-inventory';
export {
  ChecksumError,
  ConversionError,
  DownloadError,
  ManifestError,
  UnknownModelError,
  WeightsConfigError,
  WeightsError,
} from './weights-errors';
export type { DownloadFailureReason } from './weights-errors';
