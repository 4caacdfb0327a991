/**
 * Loading the models a pipeline needs, once per process: the weights are fetched and
 * converted on first use, and each ONNX Runtime session is created here and reused.
 * Also the settings every process derives from the detectors' manifests.
 */
import { autoFaceBatchSize, type DeepsiftConfig, type Logger } from '../common';
import { readCalibrationFile, type ReportSettings } from '../aggregator';
import { OnnxDeepfakeDetector, OnnxTemporalDetector } from '../detector-workers';
import { UltraFaceDetector, type CropSpec } from '../face-cropper';
import { createLandmarker, LANDMARK_MODELS, loadOpenCv, type Landmarker, type OpenCv } from '../face-cropper/landmarks';
import {
  ensureModel,
  loadModelRegistry,
  pickManifest,
  resolveWeightsOptions,
  type EnsuredModel,
  type ImageModelManifest,
  type ModelManifest,
  type WeightsOptions,
} from '../weights';
import { DEEPSIFT_VERSION } from './version';

export interface PipelineModels {
  faceDetector: UltraFaceDetector;
  faceDetectorModel: EnsuredModel;
  /** The crop detectors among the configured ones. */
  detectors: OnnxDeepfakeDetector[];
  /** The temporal detectors among the configured ones (LRNet); empty unless selected. */
  temporalDetectors: OnnxTemporalDetector[];
  /** What builds their landmark sequences; loaded only when a temporal detector is. */
  landmarks?: LandmarkModels;
}

/** The landmark net and OpenCV that turn a video's dense clips into LRNet landmark sequences. */
export interface LandmarkModels {
  landmarker: Landmarker;
  /** The landmark net as reports and /readyz name it (name and SHA-256 of its graph). */
  model: { name: string; sha256: string };
  cv: OpenCv;
}

export interface FaceDetectorModel {
  detector: UltraFaceDetector;
  model: EnsuredModel;
}

/** Options of the weights fetcher, from the resolved configuration (progress logged at info). */
export function weightsOptions(config: DeepsiftConfig, logger?: Logger): WeightsOptions {
  return {
    cacheDir: config.cacheDir,
    mirrorDir: config.weightsMirror,
    ...(config.modelsDirs !== undefined ? { userModelsDirs: config.modelsDirs } : {}),
    onProgress: (event) => {
      if (event.type !== 'download-progress') logger?.info('Weights.', { ...event, error: 'error' in event ? String(event.error) : undefined });
    },
  };
}

/** Fetches (if needed) and loads the configured face detector. */
export async function loadFaceDetector(config: DeepsiftConfig, logger: Logger): Promise<FaceDetectorModel> {
  const model = await ensureModel(config.faceDetector, weightsOptions(config, logger));
  if (model.manifest.kind !== 'face-detector' || !model.manifest.name.startsWith('ultraface')) {
    throw new Error(`"${config.faceDetector}" is not a supported face detector (ultraface-rfb-640, ultraface-rfb-320)`);
  }
  const detector = await UltraFaceDetector.create(
    model.onnxPath,
    { width: model.manifest.input.width, height: model.manifest.input.height },
    {
      scoreThreshold: config.faceScoreThreshold,
      iouThreshold: config.nmsIouThreshold,
      minFaceSizePx: config.minFaceSizePx,
      executionProviders: config.executionProviders,
      ...(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {}),
      graphOptimizationLevel: model.manifest.onnxRuntime?.graphOptimizationLevel,
    },
  );
  logger.info('Face detector loaded.', { model: detector.name, executionProvider: detector.executionProvider, framesPerRun: faceBatchSizeOf(config, detector) });
  return { detector, model };
}

/**
 * Frames of a video per run of the face detector: as configured, or by execution provider;
 * 1 when the graph's batch is fixed (a face detector from a models folder, say).
 */
export function faceBatchSizeOf(config: DeepsiftConfig, detector: UltraFaceDetector): number {
  if (!detector.dynamicBatch) return 1;
  return config.faceBatchSize || autoFaceBatchSize(detector.executionProvider);
}

/** Fetches (if needed) and loads one deepfake detector. */
export async function loadDetector(config: DeepsiftConfig, name: string, logger: Logger): Promise<OnnxDeepfakeDetector> {
  const model = await ensureModel(name, weightsOptions(config, logger));
  if (model.manifest.kind === 'temporal-detector') {
    throw new Error(`"${name}" is a temporal detector: it scores landmark sequences, not crops (loadTemporalDetector)`);
  }
  if (model.manifest.kind !== 'deepfake-detector') throw new Error(`"${name}" is not a deepfake detector`);
  const detector = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  logger.info('Detector loaded.', {
    model: name,
    executionProvider: detector.executionProvider,
    graphOptimizationLevel: detector.graphOptimizationLevel,
    skipped: detector.skippedProviders,
  });
  return detector;
}

/** Loads several deepfake detectors side by side; releases those that loaded if one fails. */
export async function loadDetectors(config: DeepsiftConfig, names: string[], logger: Logger): Promise<OnnxDeepfakeDetector[]> {
  const loading = names.map((name) => loadDetector(config, name, logger));
  try {
    return await Promise.all(loading);
  } catch (error) {
    await Promise.allSettled(loading.map((d) => d.then((x) => x.close())));
    throw error;
  }
}

/** Fetches (if needed) and loads one temporal detector. */
export async function loadTemporalDetector(config: DeepsiftConfig, name: string, logger: Logger): Promise<OnnxTemporalDetector> {
  const model = await ensureModel(name, weightsOptions(config, logger));
  const detector = await OnnxTemporalDetector.create(model.manifest, model.onnxPath, model.sha256, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  logger.info('Temporal detector loaded.', { model: name, executionProvider: detector.executionProvider });
  return detector;
}

/**
 * Fetches (if needed) and loads the configured landmark net (`DEEPSIFT_LANDMARK_MODEL`:
 * face-api's 68-point net by default, or MediaPipe FaceMesh mapped to 68 points), and loads OpenCV.
 */
export async function loadLandmarkModels(config: DeepsiftConfig, logger: Logger): Promise<LandmarkModels> {
  const [model, { cv }] = await Promise.all([ensureModel(LANDMARK_MODELS[config.landmarkModel], weightsOptions(config, logger)), loadOpenCv()]);
  const landmarker = await createLandmarker(config.landmarkModel, model, {
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
  });
  logger.info('Landmark net loaded.', { model: model.manifest.name });
  return { landmarker, model: { name: model.manifest.name, sha256: model.sha256 }, cv };
}

/**
 * The configured detectors split by kind (from their manifests, no weights needed): crop
 * detectors and temporal detectors, each in the configured order.
 */
export async function detectorsByKind(config: DeepsiftConfig, logger?: Logger): Promise<{ crop: string[]; temporal: string[] }> {
  const registry = await loadModelRegistry(resolveWeightsOptions(weightsOptions(config, logger)));
  const temporal = config.detectors.filter((name) => pickManifest(registry, name).kind === 'temporal-detector');
  return { crop: config.detectors.filter((name) => !temporal.includes(name)), temporal };
}

/**
 * Fetches (if needed) and loads the face detector and the configured detectors, side by
 * side: crop detectors, and, when temporal detectors are selected, those with the landmark
 * models their sequences need (the embedded pipeline runs them; workers do not yet).
 */
export async function loadPipelineModels(config: DeepsiftConfig, logger: Logger): Promise<PipelineModels> {
  const kinds = await detectorsByKind(config, logger);
  const face = loadFaceDetector(config, logger);
  const detectors = loadDetectors(config, kinds.crop, logger);
  const temporal = Promise.all(kinds.temporal.map((name) => loadTemporalDetector(config, name, logger)));
  const landmarks = kinds.temporal.length > 0 ? loadLandmarkModels(config, logger) : Promise.resolve(undefined);
  try {
    const [{ detector, model }, loaded, temporalDetectors, landmarkModels] = await Promise.all([face, detectors, temporal, landmarks]);
    return { faceDetector: detector, faceDetectorModel: model, detectors: loaded, temporalDetectors, ...(landmarkModels ? { landmarks: landmarkModels } : {}) };
  } catch (error) {
    // Release whatever did load before reporting the failure.
    await Promise.allSettled([
      face.then((f) => f.detector.close()),
      detectors.then((ds) => Promise.all(ds.map((d) => d.close()))),
      temporal.then((ts) => Promise.all(ts.map((t) => t.close()))),
      landmarks.then((l) => l?.landmarker.close()),
    ]);
    throw error;
  }
}

/** Releases every session. */
export async function closePipelineModels(models: PipelineModels): Promise<void> {
  await models.faceDetector.close();
  await Promise.all([...models.detectors, ...models.temporalDetectors].map((d) => d.close()));
  await models.landmarks?.landmarker.close();
}

/** The manifests of the named deepfake detectors, built-in or users' (no weights needed). */
export async function detectorManifests(names: string[], options: WeightsOptions = {}): Promise<Map<string, ImageModelManifest>> {
  const registry = await loadModelRegistry(resolveWeightsOptions(options));
  const manifests = names.map((name) => pickManifest(registry, name));
  const detectors = new Map<string, ImageModelManifest>();
  for (const manifest of manifests) {
    if (manifest.kind === 'temporal-detector') {
      throw new Error(`"${manifest.name}" is a temporal detector, which only deepsift scan and score-landmarks run yet`);
    }
    if (manifest.kind !== 'deepfake-detector') throw new Error(`"${manifest.name}" is not a deepfake detector`);
    detectors.set(manifest.name, manifest);
  }
  return detectors;
}

/** The manifests of the named detectors of any kind, crop or temporal (no weights needed): for reports. */
export async function anyDetectorManifests(names: string[], options: WeightsOptions = {}): Promise<Map<string, ModelManifest>> {
  const registry = await loadModelRegistry(resolveWeightsOptions(options));
  return new Map(names.map((name) => [name, pickManifest(registry, name)]));
}

/**
 * The configured face detector's input size, from its manifest (no weights loaded): a frame
 * extractor handing frames to a face cropper in the same process resizes to it while decoding.
 */
export async function faceDetectorInputSize(config: DeepsiftConfig, options: WeightsOptions = {}): Promise<{ width: number; height: number }> {
  const manifest = pickManifest(await loadModelRegistry(resolveWeightsOptions(options)), config.faceDetector);
  if (manifest.kind !== 'face-detector') throw new Error(`"${config.faceDetector}" is not a face detector`);
  return { width: manifest.input.width, height: manifest.input.height };
}

/** The crop a detector takes: its input size, and the configured margin or its manifest's. */
export function cropSpecOf(config: DeepsiftConfig, manifest: ImageModelManifest): CropSpec {
  return { size: manifest.input.width, margin: config.cropMargin ?? manifest.cropMargin ?? 0.2 };
}

/**
 * The default threshold of each named detector, crop or temporal, from its manifest (no
 * weights needed): the thresholds `deepsift eval` measures rates at, as reports use them.
 */
export async function detectorThresholds(names: readonly string[], options: WeightsOptions = {}): Promise<Record<string, number>> {
  const registry = await loadModelRegistry(resolveWeightsOptions(options));
  const thresholds: Record<string, number> = {};
  for (const name of names) {
    const manifest = pickManifest(registry, name);
    if (manifest.kind !== 'deepfake-detector' && manifest.kind !== 'temporal-detector') throw new Error(`"${name}" is not a deepfake detector`);
    thresholds[name] = manifest.threshold;
  }
  return thresholds;
}

/**
 * How reports are built: thresholds and aggregation from the manifests unless configured,
 * and the calibration file when one is configured (read here, at start-up).
 */
export function reportSettingsOf(config: DeepsiftConfig, manifests: ReadonlyMap<string, ModelManifest>): ReportSettings {
  return {
    ...(config.calibrationFile !== undefined ? { calibration: readCalibrationFile(config.calibrationFile) } : {}),
    verdictThreshold: config.verdictThreshold,
    framesRequested: config.framesPerVideo,
    deepsiftVersion: DEEPSIFT_VERSION,
    policyFor: (name) => ({
      threshold: manifests.get(name)?.threshold ?? config.verdictThreshold,
      aggregation: config.aggregation ?? aggregationOf(manifests.get(name)) ?? 'track-max',
    }),
  };
}

/** A crop detector's default aggregation from its manifest (temporal detectors have their own). */
function aggregationOf(manifest: ModelManifest | undefined): ImageModelManifest['aggregation'] {
  return manifest?.kind === 'temporal-detector' ? undefined : manifest?.aggregation;
}
