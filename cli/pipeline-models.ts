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

/** Fetches (if needed) and loads the face detector and the deepfake detectors. */
export async function loadPipelineModels(config: DeepsiftConfig, logger: Logger): Promise<PipelineModels> {
  const options = weightsOptions(config, (event) => {
    if (event.type !== 'download-progress') logger.info('Weights.', { ...event, error: 'error' in event ? String(event.error) : undefined });
  });
  const faceDetectorModel = await ensureModel(config.faceDetector, options);
  if (faceDetectorModel.manifest.kind !== 'face-detector' || !faceDetectorModel.manifest.name.startsWith('ultraface')) {
    throw new Error(`"${config.faceDetector}" is not a supported face detector (ultraface-rfb-640, ultraface-rfb-320)`);
  }
  const sessionOptions = { executionProviders: config.executionProviders, intraOpThreads: config.intraOpThreads };
  const faceDetector = await UltraFaceDetector.create(
    faceDetectorModel.onnxPath,
    { width: faceDetectorModel.manifest.input.width, height: faceDetectorModel.manifest.input.height },
    {
      scoreThreshold: config.faceScoreThreshold,
      iouThreshold: config.nmsIouThreshold,
      minFaceSizePx: config.minFaceSizePx,
      executionProviders: config.executionProviders,
      ...(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {}),
    },
  );
  logger.info('Face detector loaded.', { model: faceDetector.name, executionProvider: faceDetector.executionProvider });

  const detectors: OnnxDeepfakeDetector[] = [];
  for (const name of config.detectors) {
    const model = await ensureModel(name, options);
    if (model.manifest.kind !== 'deepfake-detector') throw new Error(`"${name}" is not a deepfake detector`);
    const detector = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, sessionOptions);
    logger.info('Detector loaded.', { model: name, executionProvider: detector.executionProvider, skipped: detector.skippedProviders });
    detectors.push(detector);
  }
  return { faceDetector, faceDetectorModel, detectors };
}

/** Releases every session. */
export async function closePipelineModels(models: PipelineModels): Promise<void> {
  await models.faceDetector.close();
  await Promise.all(models.detectors.map((d) => d.close()));
}
