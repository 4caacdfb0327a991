/**
 * The face-cropper stage: finds faces in each sampled frame, links them into tracks,
 * cuts one crop per face in every format the requested detectors need, then fans the
 * crops out to each detector's queue and tells the aggregator what to expect.
 */
import {
  InfrastructureError,
  consumeAsStage,
  createEnvelope,
  cropBlobKey,
  DEFAULT_RETRY_POLICY,
  elapsedMs,
  matrixOfYuvFrame,
  ObjectNotFoundError,
  QUEUES,
  ROUTING,
  type Envelope,
  type CropRef,
  type LocalVideoFiles,
  type Logger,
  type ModelUse,
  type StageDeps,
  type Storage,
  type BlobRef,
  type ClipSequence,
  type VideoSequencesPayload,
  type Box,
  type RawImage,
  type Subscription,
  type TrackSummary,
  type Yuv420Image,
  workPrefix,
  analysisStateKey,
} from '../common';
import type { CropEncoding, CropPixels } from '../common/packed-crop';
import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { VideoError } from '../frame-extractor';
import { clipSequences, clipSettingsOf, type TemporalClipOptions } from './clip-sequences';
import { CropPacks } from './crop-packs';
import type { EarlyFaceDetection } from './early-face-detection';
import { FaceDetectionBatches } from './face-detection-batches';
import { decodeFrame } from './decode-frame';
import { cropFace, cropPlanesFromYuv, type CropOptions } from './face-crop';
import type { FaceDetector } from './face-detector';
import { IouTracker, type IouTrackerOptions } from './iou-tracker';

/** The crop format one deepfake detector takes. */
export interface CropSpec {
  size: number;
  margin: number;
}

export interface FaceCropperOptions {
  tracker: IouTrackerOptions;
  /** Crop format by deepfake detector name. */
  cropSpecs: Map<string, CropSpec>;
  /** Videos handled at once. */
  concurrency: number;
  /** A video's frames not cropped within this long are abandoned and retried. */
  deadlineMs?: number;
  /** How crop packs store crops: `webp` (lossless) where they cross a bucket; default raw `rgb24`. */
  cropEncoding?: CropEncoding;
  /** Frames already resized for the face detector that run through it at once; default 1. */
  faceBatchSize?: number;
  /**
   * Temporal detectors served: the cropper also builds each video's dense-clip landmark
   * sequences, from the video's local file, and sends them to those detectors' queues.
   */
  temporal?: TemporalClipOptions;
}

export interface FaceCropperDeps extends StageDeps {
  /** Where crops are written (and the marker of a published analysis): the work area. */
  work: Storage;
  /** Where the frames are read from and deleted; default `work` (a stage group keeps them in memory). */
  frames?: Storage;
  faceDetector: FaceDetector;
  /** The face detector model as reported (name and SHA-256 of its graph). */
  faceDetectorModel: ModelUse;
  /**
   * In a worker's stage group: the video files the frame extractor of this process lends
   * during the hand-off; the only files temporal detectors' clips are read from. Without it
   * (`deepsift scan`), a `file` source's own path.
   */
  videoFiles?: LocalVideoFiles;
  /** In `scan`: faces the detector found while the frame extractor was still decoding; frames not there are detected here. */
  earlyFaces?: EarlyFaceDetection;
}

export class FaceCropperStage {
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: FaceCropperDeps,
    private readonly options: FaceCropperOptions,
  ) {}

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(this.deps, 'face-cropper', QUEUES.faceCropper, ['video.frames'], (e, log, d) => this.handle(e, log, d.signal), {
      prefetch: this.options.concurrency,
      retryPolicy: DEFAULT_RETRY_POLICY,
      deadlineMs: this.options.deadlineMs,
    });
  }

  /** Stops taking videos; after `graceMs` those in progress are abandoned between frames and handed back. */
  async close(graceMs?: number): Promise<void> {
    await this.subscription?.cancel(graceMs);
  }

  private async handle(envelope: Envelope<'video.frames'>, log: Logger, signal: AbortSignal): Promise<void> {
    try {
      await this.cropFaces(envelope, log, signal);
    } finally {
      // Faces found early for frames this attempt did not get to: another attempt detects them itself.
      this.deps.earlyFaces?.dropped(envelope.payload.frames.flatMap((f) => (f.detectionBlob ? [f.detectionBlob.key] : [])));
    }
  }

  private async cropFaces(envelope: Envelope<'video.frames'>, log: Logger, signal: AbortSignal): Promise<void> {
    const start = performance.now();
    const { payload, videoId } = envelope;
    const { work, metrics, faceDetector } = this.deps;
    const frames = this.deps.frames ?? work;
    const temporalDetectors = payload.detectors.filter((d) => this.options.temporal?.detectors.has(d) === true);
    const cropDetectors = payload.detectors.filter((d) => !temporalDetectors.includes(d));
    const specs = this.specsFor(cropDetectors);
    const tracker = new IouTracker(this.options.tracker);
    const ptsBySample = new Map<number, number>();
    const publishedMarker = `${workPrefix(videoId, envelope.correlationId)}faces.published`;
    const crops = new Map<string, CropRef>();
    // All crops of one format go into one object: a detector reads one object per video.
    const packs = new CropPacks(`${workPrefix(videoId, envelope.correlationId)}crops/`, this.options.cropEncoding);
    const detections = new FaceDetectionBatches(faceDetector, payload.frames, frames, this.options.faceBatchSize ?? 1);
    let withFaces = 0;

    for (const frameRef of payload.frames) {
      signal.throwIfAborted();
      let data: Buffer;
      let detectionData: Buffer | undefined;
      const earlyFaces = frameRef.detectionBlob && this.deps.earlyFaces?.take(frameRef.detectionBlob.key);
      try {
        data = await frames.get(frameRef.blob.key);
        if (!earlyFaces && frameRef.detectionBlob && faceDetector.detectResized) detectionData = await frames.get(frameRef.detectionBlob.key);
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
        // Another delivery of this message (redelivered after a connection loss, or handed back
        // by a worker stopped after it published) published the faces and consumed the frames:
        // the marker says so while the work area lasts, the aggregator's state of the analysis
        // once the report has emptied it. The crops written so far have the same keys as that
        // delivery's, so they stay; the aggregator deletes the prefix with the report.
        if (await work.exists(publishedMarker)) {
          log.warn('Frames already consumed by another delivery of this message; dropping it.', { key: frameRef.blob.key });
          return;
        }
        if (await work.exists(analysisStateKey(videoId, envelope.correlationId))) {
          log.warn('Frames gone and the analysis already with the aggregator: a late duplicate; dropping it.', { key: frameRef.blob.key });
          return;
        }
        // Retried, then dead-lettered into a failed report: never a silent hang.
        throw new Error(`frame ${frameRef.sampleIndex} of this analysis is missing from the work area`, { cause: error });
      }
      const pixels = await framePixels(data, frameRef.blob);
      const faces = earlyFaces
        ? await earlyFaces
        : detectionData !== undefined && frameRef.detectionBlob && faceDetector.detectResized
          ? await detections.facesOf(frameRef, { data: detectionData, width: frameRef.detectionBlob.width, height: frameRef.detectionBlob.height, channels: 3 })
          : await faceDetector.detect(pixels.rgb ?? yuv420ToRgb(pixels.yuv!));
      ptsBySample.set(frameRef.sampleIndex, frameRef.ptsSeconds);
      const trackIds = tracker.update(frameRef.sampleIndex, faces, frameRef.frameIndex);
      if (faces.length > 0) withFaces++;
      metrics.framesSampledTotal.inc({ faces: faces.length > 0 ? 'yes' : 'no' });
      metrics.facesDetectedTotal.inc(faces.length);
      for (let i = 0; i < faces.length; i++) {
        const trackId = trackIds[i]!;
        const cropId = `${trackId}-${frameRef.sampleIndex}`;
        const blobs: CropRef['blobs'] = {};
        for (const [key, spec] of specs) {
          blobs[key] = await packs.add(key, await cropOf(pixels, faces[i]!.box, { marginRatio: spec.margin, size: spec.size }));
        }
        crops.set(cropId, { cropId, trackId, frameIndex: frameRef.frameIndex, blobs });
      }
    }

    const tracks: TrackSummary[] = tracker.tracks().map((track) => ({
      trackId: track.id,
      detections: track.detections.map((d) => ({
        frameIndex: d.frameIndex,
        ptsSeconds: ptsBySample.get(d.sampleOrdinal) ?? 0,
        box: d.box,
        faceScore: d.score,
        cropId: `${track.id}-${d.sampleOrdinal}`,
      })),
    }));
    const cropList = [...crops.values()];
    // Before anything is published: a failure here retries the whole message, frames included.
    if (temporalDetectors.length > 0) await this.publishSequences(envelope, temporalDetectors, log, signal);
    for (const [key, data] of packs.objects()) await work.put(key, data);
    // Written before publishing, so that it never lands after the aggregator emptied the work
    // area: it tells a duplicate delivery that finds the frames gone that the work is done.
    await work.put(publishedMarker, Buffer.from(new Date().toISOString()));
    if (cropList.length > 0) {
      for (const detector of cropDetectors) {
        await this.deps.transport.publish(
          ROUTING.crops(detector),
          createEnvelope('video.crops', videoId, envelope.correlationId, { detectors: [detector], crops: cropList }),
          { signal },
        );
      }
    }
    const sampled = payload.frames.length;
    await this.deps.transport.publish(
      ROUTING.faces,
      createEnvelope('video.faces', videoId, envelope.correlationId, {
        source: payload.source,
        detectors: payload.detectors,
        video: payload.video,
        faceDetector: this.deps.faceDetectorModel,
        frames: { sampled, withFaces, withoutFaces: sampled - withFaces },
        tracks,
        cropCount: cropList.length,
        ...(temporalDetectors.length > 0
          ? { temporalDetectors, landmarkModel: this.options.temporal!.landmarkModel, clipSettings: clipSettingsOf(this.options.temporal!) }
          : {}),
        timings: { ...payload.timings, 'face-cropper': elapsedMs(start) },
      }),
      { signal },
    );
    // The frames are no longer needed: only crops go further.
    await Promise.all(payload.frames.flatMap((f) => [f.blob.key, ...(f.detectionBlob ? [f.detectionBlob.key] : [])]).map((key) => frames.delete(key)));
    log.debug('Faces cropped.', { sampled, withFaces, tracks: tracks.length, crops: cropList.length });
  }

  /**
   * Builds the video's dense-clip landmark sequences once (a second ffmpeg run, over the
   * clips only) and sends them to each temporal detector's queue; the aggregator waits for
   * these detectors' scores, which say why when no clip had a face. Clips that cannot be
   * read (a decoding or landmark failure) cost the temporal detectors their score, not the
   * video its crop detectors' scores: the failure goes to them as the reason. Only an abort
   * (the stage's deadline, a shutdown) and the publishing itself fail the message.
   */
  private async publishSequences(envelope: Envelope<'video.frames'>, detectors: string[], log: Logger, signal: AbortSignal): Promise<void> {
    const temporal = this.options.temporal!;
    const videoFile = this.videoFileOf(envelope);
    let clips: ClipSequence[] = [];
    let error: VideoSequencesPayload['error'];
    try {
      clips = await clipSequences(videoFile, this.deps.faceDetector, temporal, signal);
    } catch (cause) {
      // An abort, or a broken installation, is not this video's fault: retried or handed back as before.
      if (signal.aborted || cause instanceof InfrastructureError) throw cause;
      if (cause instanceof VideoError && cause.code === 'FFMPEG_NOT_FOUND') throw new InfrastructureError('ffmpeg', cause.message, { cause });
      error = clipFailureOf(cause);
      log.warn('Dense clips failed; temporal detectors get no score.', { code: error.code, error: error.message });
    }
    for (const detector of detectors) {
      await this.deps.transport.publish(
        ROUTING.crops(detector),
        createEnvelope('video.sequences', envelope.videoId, envelope.correlationId, { detector, clips, clipFrames: temporal.clipFrames, ...(error ? { error } : {}) }),
        { signal },
      );
    }
    log.debug('Clip landmarks sent.', { sequences: clips.length, withFace: clips.filter((c) => c.frames > 0).length, detectors });
  }

  /**
   * The local file of the video: the one lent by the frame extractor of this stage group, or
   * in `scan` (no group) a `file` source's path. A path inside a message is never trusted by
   * a worker: it may name a file of another machine.
   */
  private videoFileOf(envelope: Envelope<'video.frames'>): string {
    const { videoFiles } = this.deps;
    const { source } = envelope.payload;
    const path = videoFiles ? videoFiles.pathOf(envelope.videoId, envelope.correlationId) : source.kind === 'file' ? source.path : undefined;
    if (path !== undefined) return path;
    throw new Error(
      'temporal detectors need the video as a local file, which only a frame extractor in the same process (deepsift worker frame-extractor,face-cropper) or deepsift scan provides',
    );
  }

  /** The distinct crop formats the given detectors need, keyed by `cropBlobKey`. */
  private specsFor(detectors: string[]): Map<string, CropSpec> {
    const specs = new Map<string, CropSpec>();
    for (const detector of detectors) {
      const spec = this.options.cropSpecs.get(detector);
      if (!spec) throw new Error(`no crop format is known for detector "${detector}"`);
      specs.set(cropBlobKey(spec.size, spec.margin), spec);
    }
    return specs;
  }
}

/**
 * What a temporal detector is told when the clips failed: a video error's own code
 * (DECODE_FAILED, …), CLIP_LANDMARKS_FAILED for anything else in the landmark path.
 */
function clipFailureOf(cause: unknown): { code: string; message: string } {
  const message = cause instanceof Error ? cause.message : String(cause);
  return { code: cause instanceof VideoError ? cause.code : 'CLIP_LANDMARKS_FAILED', message };
}

/** A stored frame's pixels: RGB (as stored, or decoded when encoded), or YUV 4:2:0 as stored. */
interface FramePixels {
  rgb?: RawImage;
  yuv?: Yuv420Image;
}

async function framePixels(data: Buffer, blob: BlobRef): Promise<FramePixels> {
  const matrix = matrixOfYuvFrame(blob.format);
  if (matrix === undefined) return { rgb: await decodeFrame(data, blob) };
  return { yuv: { data, width: blob.width, height: blob.height, format: 'yuv420p', matrix } };
}

/** The crop of a face: RGB, or from a YUV frame its YUV planes, resized (the pack converts them for in-memory detectors). */
function cropOf(pixels: FramePixels, box: Box, options: CropOptions): Promise<CropPixels> {
  return pixels.yuv ? cropPlanesFromYuv(pixels.yuv, box, options) : cropFace(pixels.rgb!, box, options);
}
