/**
 * Loading the models a pipeline needs, once per process: the weights are fetched and
 * converted on first use, and each ONNX Runtime session is created here and reused.
 */
import type { DeepsiftConfig, Logger } from '../common';
import { OnnxDeepfakeDetector } from '../detector-workers';
import { UltraFaceDetector } from '../face-cropper';
import { ensureModel, type EnsuredModel, type WeightsProgressEvent } from '../weights';

export interface PipelineModels {
  faceDetector: UltraFaceDetector;
  faceDetectorModel: EnsuredModel;
  detectors: OnnxDeepfakeDetector[];
}

/** Options of the weights fetcher, from the resolved configuration. */
export function weightsOptions(config: DeepsiftConfig, onProgress?: (event: WeightsProgressEvent) => void) {
  return { cacheDir: config.cacheDir, mirrorDir: config.weightsMirror, onProgress };
}

/** Fetches (if needed) and loads the face detector and the deepfake detectors, side by side. */
export async function loadPipelineModels(config: DeepsiftConfig, logger: Logger): Promise<PipelineModels> {
  const options = weightsOptions(config, (event) => {
    if (event.type !== 'download-progress') logger.info('Weights.', { ...event, error: 'error' in event ? String(event.error) : undefined });
  });
  const sessionOptions = { executionProviders: config.executionProviders, intraOpThreads: config.intraOpThreads };
  const loadFaceDetector = async () => {
    const model = await ensureModel(config.faceDetector, options);
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
      },
    );
    logger.info('Face detector loaded.', { model: detector.name, executionProvider: detector.executionProvider });
    return { detector, model };
  };
  const loadDetector = async (name: string) => {
    const model = await ensureModel(name, options);
    if (model.manifest.kind !== 'deepfake-detector') throw new Error(`"${name}" is not a deepfake detector`);
    const detector = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, sessionOptions);
    logger.info('Detector loaded.', { model: name, executionProvider: detector.executionProvider, skipped: detector.skippedProviders });
    return detector;
  };
  const face = loadFaceDetector();
  const detectors = config.detectors.map(loadDetector);
  try {
    const [{ detector, model }, loaded] = await Promise.all([face, Promise.all(detectors)]);
    return { faceDetector: detector, faceDetectorModel: model, detectors: loaded };
  } catch (error) {
    // Release whatever did load before reporting the failure.
    await Promise.allSettled([face.then((f) => f.detector.close()), ...detectors.map((d) => d.then((x) => x.close()))]);
    throw error;
  }
}

/** Releases every session. */
export async function closePipelineModels(models: PipelineModels): Promise<void> {
  await models.faceDetector.close();
  await Promise.all(models.detectors.map((d) => d.close()));
}
