/**
 * Building each stage as a worker: the same stage classes as `scan`, on RabbitMQ and S3.
 * Every function returns what it started, for an orderly shutdown.
 */
import {
  autoBatchMaxSize,
  cropBlobKey,
  DEFAULT_RETRY_POLICY,
  type BrokerTransport,
  type DeepsiftConfig,
  type Logger,
  type MemoryStorage,
  type PipelineMetrics,
  type S3Storage,
  type Transport,
  type DependencyGate,
  type LocalVideoFiles,
} from '../common';
import { AggregatorStage, DeadLetterReporter } from '../aggregator';
import { DetectorWorker, SharedCrops, SharedReads, TemporalDetectorWorker } from '../detector-workers';
import { FaceCropperStage, type TemporalClipOptions } from '../face-cropper';
import { DEFAULT_VIDEO_LIMITS, FrameExtractorStage, type ToolLauncher, type VideoLimits } from '../frame-extractor';
import { ObjectIngest, S3Poller } from '../ingest';
import { announcementKey, EXTERNAL_QUEUES } from './distributed-topology';
import { decoderThreadsFor } from './embedded-pipeline';
import { CliError, EXIT } from './exit-codes';
import {
  anyDetectorManifests,
  cropSpecOf,
  detectorManifests,
  detectorsByKind,
  faceBatchSizeOf,
  faceDetectorInputSize,
  loadDetectors,
  loadFaceDetector,
  loadLandmarkModels,
  loadTemporalDetector,
  reportSettingsOf,
  weightsOptions,
  type LandmarkModels,
} from './pipeline-models';

/** Something a worker started and must stop on shutdown. */
export interface Closable {
  close(): Promise<void>;
}

/** A consumer of work: stopped first on shutdown, within the grace time. */
export interface Drainable {
  close(graceMs?: number): Promise<void>;
}

/** What a stage starter started: consumers, stopped first, then the resources they used (models). */
export interface Started {
  consumers: Drainable[];
  resources: Closable[];
  /** Models loaded beside the stage's own (/readyz lists them): the landmark net of a face cropper serving temporal detectors. */
  extraModels?: string[];
}

/** What every worker stage is built from. */
export interface WorkerContext {
  config: DeepsiftConfig;
  /** Where stages publish and consume: the broker, or a stage group's transport over it. */
  transport: Transport;
  /** The broker itself: external queues and the results exchange. */
  broker: BrokerTransport;
  /** The bucket: videos, intermediate data, the aggregator's state and reports; ingest also reads its name, heads and markers. */
  bucket: S3Storage;
  /** In a group running the frame extractor and the face cropper: the frames, kept in memory. */
  frames?: MemoryStorage;
  /** In the same group: the video files the frame extractor lends the face cropper (temporal detectors' clips). */
  videoFiles?: LocalVideoFiles;
  logger: Logger;
  metrics: PipelineMetrics;
  /** The detectors this process serves (`--detectors`), a subset of `config.detectors`. */
  servedDetectors: string[];
  dependencies: DependencyGate;
  /** Starts ffmpeg and ffprobe (frame extractor, dense clips); spawned directly when undefined. */
  toolLauncher?: ToolLauncher;
}

/** Ingest: crawler jobs, bucket notifications and, if configured, polling of `incoming/`. */
export async function startIngest(ctx: WorkerContext): Promise<Started> {
  const { config, broker: transport, bucket, logger, metrics } = ctx;
  const ingest = new ObjectIngest(
    { transport, logger, metrics, bucket },
    {
      defaultDetectors: config.detectors,
      knownDetectors: new Set(config.detectors),
      maxVideoBytes: config.maxVideoBytes,
      allowPrivateUrls: config.allowPrivateUrls,
      incomingPrefix: 'incoming/',
    },
  );
  const counted = (handle: (body: Buffer) => Promise<void>) => async ({ body }: { body: Buffer }) => {
    try {
      await handle(body);
      metrics.messagesTotal.inc({ stage: 'ingest', outcome: 'ack' });
    } catch (error) {
      metrics.messagesTotal.inc({ stage: 'ingest', outcome: 'failed' });
      throw error;
    }
  };
  const policy = { prefetch: 4, retryPolicy: DEFAULT_RETRY_POLICY };
  const consumers: Drainable[] = [
    wrap(await transport.consumeExternal(EXTERNAL_QUEUES.crawlerJobs.name, counted((b) => ingest.handleCrawlerJob(b)), policy)),
    wrap(await transport.consumeExternal(EXTERNAL_QUEUES.bucketEvents.name, counted((b) => ingest.handleS3Event(b)), policy)),
  ];
  if (config.s3PollIntervalMs > 0) {
    const poller = new S3Poller({ storage: bucket, logger }, { onObject: (object) => ingest.submitObject(object.key, {}) });
    poller.start(config.s3PollIntervalMs);
    consumers.push({ close: async () => poller.stop() });
  }
  return { consumers, resources: [] };
}

/** Frame extractor: videos from the bucket, frames to the work area. */
export async function startFrameExtractor(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const concurrency = config.videoConcurrency;
  // Frames handed to a face cropper in the same process stay in memory, never in the bucket.
  const stage = new FrameExtractorStage({ transport, logger, metrics, dependencies, work: ctx.frames ?? bucket, videos: bucket, videoFiles: ctx.videoFiles }, {
    framesPerVideo: config.framesPerVideo,
    allowFileSources: false,
    limits: videoLimitsOf(config),
    concurrency,
    decoderThreads: decoderThreadsFor(concurrency),
    ffmpegPaths: { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, launcher: ctx.toolLauncher },
    deadlineMs: config.decodeDeadlineMs,
    executionProviders: config.executionProviders,
    releaseFramesAfterHandOff: ctx.frames !== undefined,
    // Frames for a face cropper elsewhere cross the bucket: encoded, not 6 MB of raw RGB each.
    frameEncoding: ctx.frames === undefined ? { encoding: config.frameEncoding ?? 'jpeg', jpegQuality: Math.min(100, config.frameJpegQuality) } : undefined,
    // In the decode group, as in `scan`: ffmpeg resizes for the face detector while decoding, frames stay YUV until cropped.
    detectionSize: ctx.frames !== undefined ? await faceDetectorInputSize(config, weightsOptions(config, logger)) : undefined,
  });
  await stage.start();
  return { consumers: [stage], resources: [] };
}

/**
 * Face cropper: its face detector, and the crop formats of every crop detector of the
 * deployment; with temporal detectors in the deployment, also the landmark models that build
 * their clip sequences. Those read the video's file, which only the frame extractor of a
 * stage group lends: a face cropper alone refuses to start (the split layout runs crop
 * detectors only; downloading every video a second time for the clips is not worth it).
 */
export async function startFaceCropper(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const kinds = await detectorsByKind(config, logger);
  if (kinds.temporal.length > 0 && ctx.videoFiles === undefined) {
    throw new CliError(
      `temporal detectors (${kinds.temporal.join(', ')}) read the video's dense clips from the frame extractor's copy of the video: ` +
        'run the face cropper in the decode group (deepsift worker frame-extractor,face-cropper), or leave them out of DEEPSIFT_DETECTORS',
      EXIT.usage,
    );
  }
  const manifests = await detectorManifests(kinds.crop);
  const landmarks = kinds.temporal.length > 0 ? await loadLandmarkModels(config, logger) : undefined;
  const { detector, model } = await loadFaceDetector(config, logger);
  const stage = new FaceCropperStage(
    {
      transport, logger, metrics, dependencies, work: bucket, frames: ctx.frames, videoFiles: ctx.videoFiles,
      faceDetector: detector, faceDetectorModel: { name: model.manifest.name, sha256: model.sha256 },
    },
    {
      tracker: { iouThreshold: config.trackIouThreshold, maxGapFrames: config.trackMaxGapFrames },
      cropSpecs: new Map([...manifests.values()].map((m) => [m.name, cropSpecOf(config, m)])),
      concurrency: 1,
      deadlineMs: config.stageDeadlineMs,
      // Crops cross the bucket to the detector workers: by default lossless, 5.6× smaller than raw from YUV frames (2.8× as RGB WebP).
      cropEncoding: config.cropEncoding === 'raw' ? 'rgb24' : 'lossless',
      faceBatchSize: faceBatchSizeOf(config, detector),
      ...(landmarks ? { temporal: temporalClipOptions(config, kinds.temporal, landmarks, ctx.toolLauncher) } : {}),
    },
  );
  await stage.start();
  const resources: Closable[] = [{ close: () => detector.close() }];
  if (landmarks) resources.push({ close: () => landmarks.landmarker.close() });
  return { consumers: [stage], resources, ...(landmarks ? { extraModels: [landmarks.model.name] } : {}) };
}

/** The dense clips temporal detectors read, as `scan` builds them (README "LRNet on dense clips"). */
function temporalClipOptions(config: DeepsiftConfig, detectors: string[], landmarks: LandmarkModels, launcher: ToolLauncher | undefined): TemporalClipOptions {
  return {
    detectors: new Set(detectors),
    clipCount: config.clipCount,
    clipFrames: config.clipFrames,
    maxFaces: config.clipMaxFaces,
    minFaceSizePx: config.clipMinFaceSizePx,
    landmarker: landmarks.landmarker,
    landmarkModel: landmarks.model,
    cv: landmarks.cv,
    limits: videoLimitsOf(config),
    ffmpegPaths: { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, launcher },
    decoderThreads: decoderThreadsFor(config.videoConcurrency),
  };
}

/** The configured limits on the videos a worker decodes. */
function videoLimitsOf(config: DeepsiftConfig): VideoLimits {
  return { ...DEFAULT_VIDEO_LIMITS, maxVideoBytes: config.maxVideoBytes, maxDurationSeconds: config.maxDurationSeconds, maxPixels: config.maxPixels };
}

/**
 * Detector workers: one consumer (and queue) per served detector; a temporal detector's
 * consumer takes the video's clip sequences instead of crops.
 */
export async function startDetectorWorkers(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const kinds = await detectorsByKind({ ...config, detectors: ctx.servedDetectors }, logger);
  const detectors = await loadDetectors(config, kinds.crop, logger);
  const started: Started = { consumers: [], resources: [] };
  for (const name of kinds.temporal) {
    const detector = await loadTemporalDetector(config, name, logger);
    started.resources.push({ close: () => detector.close() });
    const worker = new TemporalDetectorWorker({ transport, logger, metrics, dependencies }, detector, { prefetch: 4, deadlineMs: config.stageDeadlineMs });
    await worker.start();
    started.consumers.push(worker);
  }
  // Detectors of one input size read the same packed crops: one GET serves them all, and
  // each crop is decoded once for all of them.
  const work = new SharedReads(bucket);
  const cropKeyOf = (detector: (typeof detectors)[number]) => cropBlobKey(detector.inputSize, cropSpecOf(config, detector.manifest).margin);
  const sharedCrops = new Map<string, SharedCrops>();
  for (const detector of detectors) {
    const key = cropKeyOf(detector);
    if (!sharedCrops.has(key)) sharedCrops.set(key, new SharedCrops(detectors.filter((d) => cropKeyOf(d) === key).length));
  }
  for (const detector of detectors) {
    const crops = sharedCrops.get(cropKeyOf(detector));
    const worker = new DetectorWorker({ transport, logger, metrics, dependencies, work, crops }, detector, {
      batchMaxSize: config.batchMaxSize || autoBatchMaxSize(detector.executionProvider),
      batchMaxWaitMs: config.batchMaxWaitMs,
      prefetch: 4,
      deadlineMs: config.stageDeadlineMs,
    }, cropSpecOf(config, detector.manifest).margin);
    await worker.start();
    started.consumers.push(worker);
    started.resources.push({ close: () => detector.close() });
  }
  return started;
}

/** Aggregator: reports to `reports/`, announced on the results exchange; dead letters become failed reports. */
export async function startAggregator(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const settings = reportSettingsOf(config, await anyDetectorManifests(config.detectors));
  const aggregator = new AggregatorStage(
    {
      transport, logger, metrics, dependencies, reports: bucket, reportPrefix: 'reports/', work: bucket, state: bucket,
      announce: (a) => ctx.broker.announce(announcementKey(a.status, a.label), a),
    },
    settings,
    {
      prefetch: 16,
      partialReportTimeoutMs: config.partialReportTimeoutMs,
      sweepIntervalMs: Math.min(30_000, Math.max(1_000, Math.floor(config.partialReportTimeoutMs / 4))),
      deadlineMs: config.stageDeadlineMs,
    },
  );
  const deadLetters = new DeadLetterReporter({ transport, logger, metrics, dependencies, state: bucket, work: bucket });
  await aggregator.start();
  await deadLetters.start();
  return { consumers: [deadLetters, aggregator], resources: [] };
}

function wrap(subscription: { cancel(graceMs?: number): Promise<void> }): Drainable {
  return { close: (graceMs) => subscription.cancel(graceMs) };
}
