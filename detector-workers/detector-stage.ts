/**
 * The detector-workers stage: one consumer per deepfake detector, each on its own queue,
 * feeding a dynamic batcher so crops from several videos share inference batches.
 */
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  describeError,
  elapsedMs,
  ObjectNotFoundError,
  QUEUES,
  ROUTING,
  type Envelope,
  type Logger,
  type RawImage,
  type StageDeps,
  type Storage,
  type Subscription,
  cropBlobKey,
  VideoRejectedError,
} from '../common';
import { unpackCrop } from '../common/packed-crop';
import { DynamicBatcher } from './dynamic-batcher';
import { CropShapeError } from './preprocess';
import type { SharedCrops } from './shared-crops';
import type { OnnxDeepfakeDetector } from './onnx-deepfake-detector';


export interface DetectorStageOptions {
  batchMaxSize: number;
  batchMaxWaitMs: number;
  /** Videos' crop messages in flight per detector: enough to fill batches across videos. */
  prefetch: number;
  /** A video's crops not scored within this long are abandoned and retried. */
  deadlineMs?: number;
}

export interface DetectorStageDeps extends StageDeps {
  work: Storage;
  /** Crops decoded once for all the detectors of this process that read them (see `shared-crops.ts`). */
  crops?: SharedCrops;
}

/** Serves one deepfake detector. */
export class DetectorWorker {
  private readonly batcher: DynamicBatcher<RawImage, number>;
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: DetectorStageDeps,
    readonly detector: OnnxDeepfakeDetector,
    private readonly options: DetectorStageOptions,
    private readonly cropMargin: number,
  ) {
    const { metrics, logger } = deps;
    this.batcher = new DynamicBatcher(async (crops) => {
      const stop = metrics.inferenceDurationSeconds.startTimer({ detector: detector.name });
      const scores = await detector.score(crops);
      stop();
      metrics.batchSize.observe({ detector: detector.name }, crops.length);
      metrics.cropsScoredTotal.inc({ detector: detector.name }, crops.length);
      return scores;
    }, {
      maxBatchSize: options.batchMaxSize,
      maxWaitMs: options.batchMaxWaitMs,
      onBatchFailed: (error, batchSize) =>
        logger.warn('Batch failed; scoring its crops one by one.', { stage: 'detector-workers', detector: detector.name, batchSize, error: describeError(error) }),
    });
  }

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(
      this.deps,
      'detector-workers',
      QUEUES.detector(this.detector.name),
      ['video.crops'],
      (e, log, d) => this.handle(e, log, d.signal),
      { prefetch: this.options.prefetch, retryPolicy: DEFAULT_RETRY_POLICY, deadlineMs: this.options.deadlineMs },
    );
  }

  /** Stops taking crops, lets batches in flight finish (within `graceMs`, then hands their messages back). */
  async close(graceMs?: number): Promise<void> {
    await this.subscription?.cancel(graceMs);
    await this.batcher.drain();
  }

  private async handle(envelope: Envelope<'video.crops'>, log: Logger, signal: AbortSignal): Promise<void> {
    const start = performance.now();
    log.debug('Crops received.', { detector: this.detector.name, crops: envelope.payload.crops.length });
    const key = cropBlobKey(this.detector.inputSize, this.cropMargin);
    let crops: RawImage[];
    try {
      // Crops come packed, one object per format: each object is read once.
      const objects = new Map<string, Promise<Buffer>>();
      const read = (objectKey: string) => {
        if (!objects.has(objectKey)) objects.set(objectKey, this.deps.work.get(objectKey));
        return objects.get(objectKey)!;
      };
      crops = await Promise.all(
        envelope.payload.crops.map(async (crop) => {
          const blob = crop.blobs[key];
          if (!blob) throw new Error(`crop ${crop.cropId} has no ${key} blob for ${this.detector.name}`);
          // A pack cut short (being rewritten by a redelivered cropper) is a transient error, never the video's fault.
          const decode = async () => unpackCrop(await read(blob.key), blob);
          return this.deps.crops ? this.deps.crops.take(blob, decode) : decode();
        }),
      );
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
      // Crops are deleted only when the video's report is written: this is a late duplicate.
      log.warn('Crops already gone: the video was reported; dropping a duplicate delivery.', { detector: this.detector.name });
      return;
    }
    let scores: number[];
    try {
      scores = await this.batcher.submitAll(crops);
    } catch (error) {
      // A crop that fails on its own (its batch mates were scored) is this video's fault.
      if (!(error instanceof CropShapeError)) throw error;
      throw new VideoRejectedError('DETECTOR_FAILED', `${this.detector.name} cannot score a crop: ${error.message}`, {
        videoId: envelope.videoId,
        stage: 'detector-workers',
        cause: error,
      });
    }
    signal.throwIfAborted();
    await this.deps.transport.publish(
      ROUTING.scores,
      createEnvelope('video.scores', envelope.videoId, envelope.correlationId, {
        detector: this.detector.name,
        model: { name: this.detector.name, sha256: this.detector.sha256 },
        scores: envelope.payload.crops.map((c, i) => ({ cropId: c.cropId, score: scores[i]! })),
        busyMs: elapsedMs(start),
      }),
      { signal },
    );
    log.debug('Crops scored.', { detector: this.detector.name, crops: crops.length });
  }
}
