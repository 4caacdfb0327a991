/**
 * The five stages in one process, joined by the in-memory transport, with frames and
 * crops in a memory work area and reports in a local folder: `deepsift scan`.
 */
import os from 'node:os';
import {
  autoBatchMaxSize,
  deadLetterQueueName,
  DEFAULT_RETRY_POLICY,
  describeError,
  MemoryStorage,
  MemoryTransport,
  pipelineQueues,
  QUEUES,
  DependencyGate,
  type AnyEnvelope,
  type DeepsiftConfig,
  type Logger,
  type PipelineMetrics,
  type Storage,
  type Subscription,
} from '../common';
import { AggregatorStage, DeadLetterReporter, type VideoReport } from '../aggregator';
import { DetectorWorker, TemporalDetectorWorker } from '../detector-workers';
import { EarlyFaceDetection, FaceCropperStage, type TemporalClipOptions } from '../face-cropper';
import { createToolLauncher, FrameExtractorStage, DEFAULT_VIDEO_LIMITS, type FfmpegPaths, type ToolLauncher, type VideoLimits } from '../frame-extractor';
import { LocalIngest, type LocalInput } from '../ingest';
import { CliError, EXIT } from './exit-codes';
import { cropSpecOf, faceBatchSizeOf, reportSettingsOf, type PipelineModels } from './pipeline-models';

/** Frames of at most this many videos wait for the face detector (each one is ~200 MB at 1080p). */
const FRAMES_QUEUE_MAX_LENGTH = 1;

/** What a scan gives back for one input. */
export interface ScanResult {
  input: LocalInput;
  report: VideoReport;
  /** Set when the same bytes were given under another name too. */
  duplicateOf?: string;
}

export interface EmbeddedPipelineDeps {
  logger: Logger;
  metrics: PipelineMetrics;
  /** Where reports go, as `<videoId>.json`. */
  reports: Storage;
  models: PipelineModels;
  /**
   * Starts ffmpeg and ffprobe; the caller keeps and closes it. Without one, the pipeline starts
   * its own as `config.toolLauncher` says and closes it with the pipeline.
   */
  toolLauncher?: ToolLauncher;
}

export class EmbeddedPipeline {
  private readonly transport = new MemoryTransport();
  private readonly work = new MemoryStorage();
  private readonly stages: Array<{ close(graceMs?: number): Promise<void> }> = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly waiting = new Map<string, (report: VideoReport) => void>();
  private ingest!: LocalIngest;
  /** Rejects when the scan cannot go on (a report cannot be written, ffmpeg vanished): never a hang. */
  private readonly broken: Promise<never>;
  private breakDown!: (error: Error) => void;
  private readonly dependencies: DependencyGate;
  private readonly ownToolLauncher: ToolLauncher | undefined;
  private readonly ffmpegPaths: FfmpegPaths;

  private constructor(
    private readonly config: DeepsiftConfig,
    private readonly deps: EmbeddedPipelineDeps,
  ) {
    this.ownToolLauncher = deps.toolLauncher === undefined ? createToolLauncher(config.toolLauncher) : undefined;
    this.ffmpegPaths = { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, launcher: deps.toolLauncher ?? this.ownToolLauncher };
    this.broken = new Promise<never>((_, reject) => (this.breakDown = reject));
    this.broken.catch(() => undefined);
    // One process, one user: a broken dependency ends the scan at once (exit 3).
    this.dependencies = new DependencyGate({
      probes: {},
      probeIntervalMs: 1_000,
      giveUpAfterMs: 0,
      onGiveUp: (error) => this.breakDown(new CliError(describeError(error), EXIT.infrastructure, { cause: error })),
      logger: deps.logger,
    });
  }

  /** Declares the queues and starts every stage. */
  static async create(config: DeepsiftConfig, deps: EmbeddedPipelineDeps): Promise<EmbeddedPipeline> {
    const pipeline = new EmbeddedPipeline(config, deps);
    try {
      await pipeline.start();
    } catch (error) {
      await pipeline.ownToolLauncher?.close();
      throw error;
    }
    return pipeline;
  }

  private async start(): Promise<void> {
    const { config } = this;
    const { logger, metrics, models } = this.deps;
    const stageDeps = { transport: this.transport, logger, metrics, dependencies: this.dependencies };
    for (const spec of pipelineQueues(config.detectors, FRAMES_QUEUE_MAX_LENGTH)) await this.transport.declareQueue(spec);

    const manifests = new Map([...models.detectors, ...models.temporalDetectors].map((d) => [d.name, d.manifest]));
    const cropSpecs = new Map(models.detectors.map((d) => [d.name, cropSpecOf(config, d.manifest)]));
    const settings = reportSettingsOf(config, manifests);

    // The aggregator's analysis states (with the parts received so far), shared with the dead-letter reporter.
    const state = new MemoryStorage();
    const aggregator = new AggregatorStage({ ...stageDeps, reports: this.deps.reports, reportPrefix: '', work: this.work, state }, settings, {
      prefetch: 64,
      partialReportTimeoutMs: 0,
      sweepIntervalMs: 0,
      deadlineMs: config.stageDeadlineMs,
    });
    const detectorWorkers = models.detectors.map(
      (detector) =>
        new DetectorWorker({ ...stageDeps, work: this.work }, detector, {
          batchMaxSize: config.batchMaxSize || autoBatchMaxSize(detector.executionProvider),
          batchMaxWaitMs: config.batchMaxWaitMs,
          prefetch: 4,
          deadlineMs: config.stageDeadlineMs,
        }, cropSpecs.get(detector.name)!.margin),
    );
    const temporalWorkers = models.temporalDetectors.map(
      (detector) => new TemporalDetectorWorker(stageDeps, detector, { prefetch: 4, deadlineMs: config.stageDeadlineMs }),
    );
    const limits: VideoLimits = {
      ...DEFAULT_VIDEO_LIMITS,
      maxVideoBytes: config.maxVideoBytes,
      maxDurationSeconds: config.maxDurationSeconds,
      maxPixels: config.maxPixels,
    };
    const faceBatchSize = faceBatchSizeOf(config, models.faceDetector);
    // One frame per run (CPU): the detector runs on each frame as ffmpeg delivers it. In batches
    // (a GPU), the face cropper batches a video's frames itself.
    const earlyFaces = faceBatchSize === 1 ? new EarlyFaceDetection(models.faceDetector) : undefined;
    const faceCropper = new FaceCropperStage(
      {
        ...stageDeps,
        earlyFaces,
        work: this.work,
        faceDetector: models.faceDetector,
        faceDetectorModel: { name: models.faceDetectorModel.manifest.name, sha256: models.faceDetectorModel.sha256 },
      },
      {
        tracker: { iouThreshold: config.trackIouThreshold, maxGapFrames: config.trackMaxGapFrames },
        cropSpecs,
        concurrency: 1,
        deadlineMs: config.stageDeadlineMs,
        faceBatchSize,
        ...(models.landmarks && models.temporalDetectors.length > 0 ? { temporal: this.temporalClipOptions(limits) } : {}),
      },
    );
    const frameExtractor = new FrameExtractorStage({ ...stageDeps, work: this.work, detectionFrames: earlyFaces }, {
      framesPerVideo: config.framesPerVideo,
      allowFileSources: true,
      limits,
      concurrency: config.videoConcurrency,
      decoderThreads: decoderThreadsFor(config.videoConcurrency),
      ffmpegPaths: this.ffmpegPaths,
      deadlineMs: config.decodeDeadlineMs,
      executionProviders: config.executionProviders,
      // Raw in memory, unless asked for: then scan shows what an encoding does to the scores.
      frameEncoding: config.frameEncoding === undefined ? undefined : { encoding: config.frameEncoding, jpegQuality: Math.min(100, config.frameJpegQuality) },
      // ffmpeg resizes for the face detector in its decoding pass; full-resolution frames stay YUV until cropped.
      detectionSize: models.faceDetector.inputSize,
    });
    // Downstream first, so that nothing is published before its consumer is ready.
    for (const stage of [aggregator, ...detectorWorkers, ...temporalWorkers, faceCropper, frameExtractor]) {
      await stage.start();
      this.stages.push(stage);
    }
    this.subscriptions.push(
      await this.transport.consume(QUEUES.reports, async ({ envelope }) => this.onReportReady(envelope), {
        prefetch: 16,
        retryPolicy: DEFAULT_RETRY_POLICY,
      }),
    );
    const deadLetters = new DeadLetterReporter({ ...stageDeps, state, work: this.work });
    await deadLetters.start();
    this.stages.push(deadLetters);
    // What the aggregator gives up has no report to end in: the scan stops with the reason.
    for (const queue of [QUEUES.aggregator, QUEUES.deadLetterReports]) {
      this.subscriptions.push(
        await this.transport.consume(deadLetterQueueName(queue), async ({ envelope, deadLetterReason }) => {
          this.breakDown(new CliError(`the report of ${envelope.videoId} could not be made: ${deadLetterReason ?? 'unknown reason'}`, EXIT.infrastructure));
        }, { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY }),
      );
    }
    this.ingest = new LocalIngest(stageDeps, config.detectors);
  }

  /**
   * How the face cropper builds temporal detectors' landmark sequences: the configured dense
   * clips (4 × 61 frames by default, README "LRNet on dense clips"), decoded by one more ffmpeg run.
   */
  private temporalClipOptions(limits: VideoLimits): TemporalClipOptions {
    const { config } = this;
    const { models } = this.deps;
    return {
      detectors: new Set(models.temporalDetectors.map((d) => d.name)),
      clipCount: config.clipCount,
      clipFrames: config.clipFrames,
      maxFaces: config.clipMaxFaces,
      minFaceSizePx: config.clipMinFaceSizePx,
      landmarker: models.landmarks!.landmarker,
      landmarkModel: models.landmarks!.model,
      cv: models.landmarks!.cv,
      limits,
      ffmpegPaths: this.ffmpegPaths,
      decoderThreads: decoderThreadsFor(config.videoConcurrency),
    };
  }

  /** Analyses the inputs; resolves with one report per input, in input order. */
  async scan(inputs: LocalInput[], onReport?: (result: ScanResult) => void): Promise<ScanResult[]> {
    const pending: Array<Promise<ScanResult>> = [];
    const byVideo = new Map<string, Promise<VideoReport>>();
    for (const input of inputs) {
      const ingested = await this.ingest.submit(input);
      let report = byVideo.get(ingested.videoId);
      if (!report) {
        report = new Promise<VideoReport>((resolve) => this.waiting.set(ingested.videoId, resolve));
        byVideo.set(ingested.videoId, report);
      }
      pending.push(
        report.then((r) => {
          const result = { input, report: r, duplicateOf: ingested.duplicateOf };
          onReport?.(result);
          return result;
        }),
      );
    }
    return Promise.race([Promise.all(pending), this.broken]);
  }

  /**
   * Analyses one input with `detectors` (a subset of those loaded), even when the same bytes
   * were analysed before in this process; resolves with its report. For `deepsift serve`,
   * which keeps one analysis per video in flight.
   */
  async analyse(input: LocalInput, detectors: string[] = this.config.detectors): Promise<VideoReport> {
    const { logger, metrics } = this.deps;
    const ingested = await new LocalIngest({ transport: this.transport, logger, metrics }, detectors).submit(input);
    // Like scan: a pipeline that cannot go on (a report that cannot be written) ends the wait.
    return Promise.race([new Promise<VideoReport>((resolve) => this.waiting.set(ingested.videoId, resolve)), this.broken]);
  }

  /** Stops every stage and releases the transport. Idempotent. */
  async close(): Promise<void> {
    this.dependencies.close();
    // After a breakdown handlers may wait for a dependency for ever: give them no grace.
    const graceMs = this.dependencies.ready ? undefined : 0;
    for (const subscription of this.subscriptions.splice(0)) await subscription.cancel(graceMs);
    for (const stage of this.stages.splice(0).reverse()) await stage.close(graceMs);
    await this.transport.close();
    await this.ownToolLauncher?.close();
  }

  /** Bytes still held in the work area (0 once every video is done). */
  get workAreaBytes(): number {
    return this.work.sizeBytes;
  }

  private async onReportReady(envelope: AnyEnvelope): Promise<void> {
    if (envelope.type !== 'report.ready') return;
    const report = JSON.parse((await this.deps.reports.get(envelope.payload.reportKey)).toString()) as VideoReport;
    const resolve = this.waiting.get(envelope.videoId);
    this.waiting.delete(envelope.videoId);
    resolve?.(report);
  }


}

/** ffmpeg threads per video: the cores shared by the videos decoded at once (0 = ffmpeg's choice for one video). */
export function decoderThreadsFor(videoConcurrency: number): number {
  return videoConcurrency <= 1 ? 0 : Math.max(1, Math.floor(os.availableParallelism() / videoConcurrency));
}
