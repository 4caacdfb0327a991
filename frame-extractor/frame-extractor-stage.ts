/**
 * The frame-extractor stage: probes each job's video within limits, decodes it once and
 * stores the sampled frames in the work area, then hands their references to the
 * face-cropper. A video ffmpeg rejects gets a failed report; the stage goes on.
 */
import os from 'node:os';
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  elapsedMs,
  InfrastructureError,
  MemoryStorage,
  type LocalVideoFiles,
  publishVideoFailure,
  QUEUES,
  removeStaleTempFolders,
  ROUTING,
  type DetectionFrameSink,
  type Envelope,
  type FrameRef,
  type Logger,
  type StageDeps,
  type Storage,
  type Subscription,
  type VideoInfo,
  workPrefix,
  yuvFrameFormat,
} from '../common';
import { canCarryAsYuv420, extractFrames, extractFramesForDetection, type ExtractFramesOptions, type FrameSize } from './extract-frames';
import { decodePath } from './decode-path';
import { encodeFrame, frameExtension, type FrameEncodingOptions } from './frame-encoding';
import { FRAME_EXTRACTOR_TEMP_OWNER, openLocalVideo, type LocalVideo } from './local-video';
import { probeVideo, type VideoProbe } from './probe-video';
import { isVideoError } from './video-error';
import type { FfmpegPaths } from './ffmpeg-command';
import type { VideoLimits } from './video-limits';

export interface FrameExtractorOptions {
  framesPerVideo: number;
  /** Whether jobs may name local files: true in embedded mode, false for workers. */
  allowFileSources: boolean;
  limits: VideoLimits;
  /** Videos decoded at once. */
  concurrency: number;
  /** ffmpeg decoder threads per video; 0 lets ffmpeg choose. */
  decoderThreads: number;
  /** The ffmpeg and ffprobe executables. */
  ffmpegPaths?: FfmpegPaths;
  /** A video not probed and sampled within this long is stopped (ffmpeg killed) and retried. */
  deadlineMs?: number;
  /**
   * The face cropper runs in this process and takes the frames by direct hand-off (a stage
   * group): once the hand-off returned, done or failed, the frames are deleted here.
   */
  releaseFramesAfterHandOff?: boolean;
  /** How frames are stored (frames that cross the bucket are worth encoding); raw by default. */
  frameEncoding?: FrameEncodingOptions;
  /** ONNX Runtime's execution providers: with CUDA first, videos are decoded on the GPU when ffmpeg can. */
  executionProviders?: readonly string[];
  /** Where videos from the bucket are copied for ffmpeg; the system's temporary folder by default. */
  tempDir?: string;
  /**
   * The face detector's input size, when the face cropper takes frames already resized to
   * it (`deepsift scan`): frames kept raw are then stored as YUV 4:2:0 at full resolution
   * plus an RGB copy at this size, both from the one decoding pass (see
   * `extractFramesForDetection`), for the videos whose pixels that keeps exactly.
   */
  detectionSize?: FrameSize;
}

export interface FrameExtractorDeps extends StageDeps {
  work: Storage;
  /** Where `s3` and `url` sources' bytes are (the bucket); absent in embedded mode. */
  videos?: Storage;
  /**
   * In a stage group: where the video's local copy is lent to the face cropper of this
   * process while it takes the frames (it decodes temporal detectors' dense clips from it).
   */
  videoFiles?: LocalVideoFiles;
  /** In `scan`: told of each frame resized for the face detector as it is decoded, so that the detector can start on it. */
  detectionFrames?: DetectionFrameSink;
}

/** The work-area key of a sampled frame. */
export function frameBlobKey(videoId: string, correlationId: string, sampleIndex: number, extension = 'rgb'): string {
  return `${workPrefix(videoId, correlationId)}frames/${sampleIndex}.${extension}`;
}

/** Frames kept as they are decoded (raw RGB): in memory, or when asked for. */
const RAW_FRAMES: FrameEncodingOptions = { encoding: 'raw', jpegQuality: 95 };

export class FrameExtractorStage {
  private subscription: Subscription | undefined;
  private hwaccel: 'cuda' | undefined;

  constructor(
    private readonly deps: FrameExtractorDeps,
    private readonly options: FrameExtractorOptions,
  ) {}

  /** Removes what killed extractors left in the temporary folder, chooses the decoding path, then starts consuming. */
  async start(): Promise<void> {
    const path = await decodePath(this.options.ffmpegPaths?.ffmpegPath ?? 'ffmpeg', this.options.executionProviders ?? []);
    this.hwaccel = path.hwaccel;
    this.deps.logger.info('Decoding path chosen.', { stage: 'frame-extractor', path: path.hwaccel ?? 'cpu', reason: path.reason });
    const removed = await removeStaleTempFolders(FRAME_EXTRACTOR_TEMP_OWNER, this.options.tempDir ?? os.tmpdir());
    if (removed.length > 0) this.deps.logger.info('Removed temporary folders of stopped frame extractors.', { stage: 'frame-extractor', folders: removed });
    this.subscription = await consumeAsStage(this.deps, 'frame-extractor', QUEUES.frameExtractor, ['video.job'], (e, log, d) => this.handle(e, log, d.signal), {
      prefetch: this.options.concurrency,
      retryPolicy: DEFAULT_RETRY_POLICY,
      deadlineMs: this.options.deadlineMs,
    });
  }

  /** Stops taking videos; after `graceMs` the decodes still running are killed and their jobs handed back. */
  async close(graceMs?: number): Promise<void> {
    await this.subscription?.cancel(graceMs);
  }

  private async handle(envelope: Envelope<'video.job'>, log: Logger, signal: AbortSignal): Promise<void> {
    const { source } = envelope.payload;
    const start = performance.now();
    let probe: VideoProbe | undefined;
    const frames: FrameRef[] = [];
    let local: LocalVideo | undefined;
    try {
      local = await openLocalVideo(source, {
        allowFileSources: this.options.allowFileSources,
        videos: this.deps.videos,
        maxVideoBytes: this.options.limits.maxVideoBytes,
        tempDir: this.options.tempDir,
      });
      probe = await probeVideo(local.path, this.options.limits, { ffmpegPaths: this.options.ffmpegPaths, signal });
      const allocate = this.deps.work instanceof MemoryStorage ? (n: number) => (this.deps.work as MemoryStorage).allocate(n) : undefined;
      const extractOptions: ExtractFramesOptions = { frameCount: this.options.framesPerVideo, limits: this.options.limits, allocate, decoderThreads: this.options.decoderThreads, ffmpegPaths: this.options.ffmpegPaths, signal, hwaccel: this.hwaccel };
      const encoding = this.options.frameEncoding ?? RAW_FRAMES;
      const { detectionSize } = this.options;
      // Only downscaled: upscaling a small frame in ffmpeg instead of sharp moved scores by 0.026 (measured); its bytes are few anyway.
      const split = detectionSize && encoding.encoding === 'raw' && canCarryAsYuv420(probe) && probe.width >= detectionSize.width && probe.height >= detectionSize.height;
      if (split && detectionSize) {
        for await (const frame of extractFramesForDetection(local.path, probe, detectionSize, extractOptions)) {
          const sampleIndex = frames.length;
          const key = frameBlobKey(envelope.videoId, envelope.correlationId, sampleIndex, 'yuv');
          const detectionKey = frameBlobKey(envelope.videoId, envelope.correlationId, sampleIndex, 'detect.rgb');
          await this.deps.work.put(key, frame.full.data);
          await this.deps.work.put(detectionKey, frame.detection.data);
          this.deps.detectionFrames?.decoded(detectionKey, frame.detection, frame.full.width, frame.full.height);
          frames.push({
            frameIndex: frame.index,
            sampleIndex,
            ptsSeconds: frame.ptsSeconds,
            blob: { key, format: yuvFrameFormat(frame.full.matrix), width: frame.full.width, height: frame.full.height },
            detectionBlob: { key: detectionKey, format: 'rgb24', width: frame.detection.width, height: frame.detection.height },
          });
        }
      } else {
        for await (const frame of extractFrames(local.path, probe, extractOptions)) {
          const sampleIndex = frames.length;
          const key = frameBlobKey(envelope.videoId, envelope.correlationId, sampleIndex, frameExtension(encoding.encoding));
          const stored = await encodeFrame(frame.image, encoding);
          await this.deps.work.put(key, stored.data);
          frames.push({
            frameIndex: frame.index,
            sampleIndex,
            ptsSeconds: frame.ptsSeconds,
            blob: { key, format: stored.format, width: frame.image.width, height: frame.image.height },
          });
        }
      }
    } catch (error) {
      // Before the frames are deleted (their buffers recycled) or decoded again by another attempt.
      this.deps.detectionFrames?.dropped(frameKeys(frames));
      await local?.release();
      // Left in place on other failures: another delivery of this job may be writing (and
      // have announced) frames under the same keys; the aggregator empties the prefix in the end.
      if (!isVideoError(error)) throw error;
      if (error.code === 'FFMPEG_NOT_FOUND') {
        // A broken installation, not a broken video: the job goes back untouched.
        throw new InfrastructureError('ffmpeg', error.message, { cause: error });
      }
      await Promise.all(frameKeys(frames).map((key) => this.deps.work.delete(key)));
      log.warn('Video rejected.', { code: error.code, error: error.message });
      await publishVideoFailure(this.deps.transport, { videoId: envelope.videoId, correlationId: envelope.correlationId, source }, {
        stage: 'frame-extractor',
        code: error.code,
        message: error.message,
        video: probe && videoInfo(probe),
        timings: { 'frame-extractor': elapsedMs(start) },
      }, { signal });
      return;
    }
    const video = videoInfo(probe);
    log.debug('Frames sampled.', { frames: frames.length, frameCount: video.frameCount });
    // The local copy outlives the hand-off: a face cropper in this process may decode clips from it.
    const lendFile = this.deps.videoFiles?.hold(envelope.videoId, envelope.correlationId, local.path);
    try {
      await this.publishFrames(envelope, video, frames, start, signal);
    } finally {
      lendFile?.();
      await local.release();
      if (this.options.releaseFramesAfterHandOff) await Promise.all(frameKeys(frames).map((key) => this.deps.work.delete(key)));
    }
  }

  private async publishFrames(envelope: Envelope<'video.job'>, video: VideoInfo, frames: FrameRef[], start: number, signal: AbortSignal): Promise<void> {
    const { source, detectors } = envelope.payload;
    await this.deps.transport.publish(
      ROUTING.frames,
      createEnvelope('video.frames', envelope.videoId, envelope.correlationId, {
        source,
        detectors,
        video,
        framesRequested: this.options.framesPerVideo,
        frames,
        timings: { 'frame-extractor': elapsedMs(start) },
      }),
      { signal },
    );
  }
}

/** The work-area keys of the frames' objects (a frame and its detection-size copy). */
function frameKeys(frames: FrameRef[]): string[] {
  return frames.flatMap((f) => [f.blob.key, ...(f.detectionBlob ? [f.detectionBlob.key] : [])]);
}

function videoInfo(probe: VideoProbe): VideoInfo {
  return {
    durationSeconds: probe.durationSeconds,
    width: probe.width,
    height: probe.height,
    fps: probe.fps,
    codec: probe.codec,
    frameCount: probe.frameCount,
    rotationDegrees: probe.rotationDegrees,
    sizeBytes: probe.sizeBytes,
  };
}
