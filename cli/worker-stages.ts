/**
 * Building each stage as a worker: the same stage classes as `scan`, on RabbitMQ and S3.
 * Every function returns what it started, for an orderly shutdown.
 */
import {
  autoBatchMaxSize,
  DEFAULT_RETRY_POLICY,
  type AmqpTransport,
  type DeepsiftConfig,
  type Logger,
  type MemoryStorage,
  type PipelineMetrics,
  type S3Storage,
  type Transport,
  type DependencyGate,
} from '../common';
import { AggregatorStage, DeadLetterReporter } from '../aggregator';
import { DetectorWorker, SharedReads } from '../detector-workers';
import { FaceCropperStage } from '../face-cropper';
import { DEFAULT_VIDEO_LIMITS, FrameExtractorStage } from '../frame-extractor';
import { ObjectIngest, S3Poller } from '../ingest';
import { announcementKey, EXTERNAL_QUEUES } from './distributed-topology';
import { decoderThreadsFor } from './embedded-pipeline';
import { cropSpecOf, detectorManifests, faceBatchSizeOf, faceDetectorInputSize, loadDetectors, loadFaceDetector, reportSettingsOf, weightsOptions } from './pipeline-models';

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
}

/** What every worker stage is built from. */
export interface WorkerContext {
  config: DeepsiftConfig;
  /** Where stages publish and consume: the broker, or a stage group's transport over it. */
  transport: Transport;
  /** The broker itself: external queues and the results exchange. */
  broker: AmqpTransport;
  bucket: S3Storage;
  /** In a group running the frame extractor and the face cropper: the frames, kept in memory. */
  frames?: MemoryStorage;
  logger: Logger;
  metrics: PipelineMetrics;
  /** The detectors this process serves (`--detectors`), a subset of `config.detectors`. */
  servedDetectors: string[];
  dependencies: DependencyGate;
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
  const stage = new FrameExtractorStage({ transport, logger, metrics, dependencies, work: ctx.frames ?? bucket, videos: bucket }, {
    framesPerVideo: config.framesPerVideo,
    allowFileSources: false,
    limits: { ...DEFAULT_VIDEO_LIMITS, maxVideoBytes: config.maxVideoBytes, maxDurationSeconds: config.maxDurationSeconds, maxPixels: config.maxPixels },
    concurrency,
    decoderThreads: decoderThreadsFor(concurrency),
    ffmpegPaths: { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath },
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

/** Face cropper: its face detector, and the crop formats of every detector of the deployment. */
export async function startFaceCropper(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const manifests = await detectorManifests(config.detectors);
  const { detector, model } = await loadFaceDetector(config, logger);
  const stage = new FaceCropperStage(
    { transport, logger, metrics, dependencies, work: bucket, frames: ctx.frames, faceDetector: detector, faceDetectorModel: { name: model.manifest.name, sha256: model.sha256 } },
    {
      tracker: { iouThreshold: config.trackIouThreshold, maxGapFrames: config.trackMaxGapFrames },
      cropSpecs: new Map([...manifests.values()].map((m) => [m.name, cropSpecOf(config, m)])),
      concurrency: 1,
      deadlineMs: config.stageDeadlineMs,
      // Crops cross the bucket to the detector workers: by default lossless WebP, 2.8× smaller than raw.
      cropEncoding: config.cropEncoding === 'raw' ? 'rgb24' : 'webp',
      faceBatchSize: faceBatchSizeOf(config, detector),
    },
  );
  await stage.start();
  return { consumers: [stage], resources: [{ close: () => detector.close() }] };
}

/** Detector workers: one consumer (and queue) per served detector. */
export async function startDetectorWorkers(ctx: WorkerContext): Promise<Started> {
  const { config, transport, bucket, logger, metrics, dependencies } = ctx;
  const detectors = await loadDetectors(config, ctx.servedDetectors, logger);
  const started: Started = { consumers: [], resources: [] };
  // Detectors of one input size read the same packed crops: one GET serves them all.
  const work = new SharedReads(bucket);
  for (const detector of detectors) {
    const worker = new DetectorWorker({ transport, logger, metrics, dependencies, work }, detector, {
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
  const settings = reportSettingsOf(config, await detectorManifests(config.detectors));
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
  const deadLetters = new DeadLetterReporter({ transport, logger, metrics, dependencies, work: bucket });
  await aggregator.start();
  await deadLetters.start();
  return { consumers: [deadLetters, aggregator], resources: [] };
}

function wrap(subscription: { cancel(graceMs?: number): Promise<void> }): Drainable {
  return { close: (graceMs) => subscription.cancel(graceMs) };
}
