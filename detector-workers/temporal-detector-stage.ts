/**
 * The detector-workers stage for a temporal detector (LRNet): one consumer on the detector's
 * own queue takes a video's dense-clip landmark sequences, scores the blocks of all its
 * clips in one batch, and publishes the same `video.scores` message a crop detector does
 * (no crop scores; the per-clip block scores and the video's mean block score beside them),
 * so that the aggregator counts the detector as done.
 */
import {
  consumeAsStage,
  createEnvelope,
  DEFAULT_RETRY_POLICY,
  elapsedMs,
  InvalidMessageError,
  QUEUES,
  ROUTING,
  type ClipScores,
  type ClipSequence,
  type Envelope,
  type Logger,
  type StageDeps,
  type Subscription,
  type TemporalScores,
  type TrackBlockScores,
} from '../common';
import { landmarkBlocks, summariseBlocks } from './landmark-blocks';
import { LANDMARK_VALUES_PER_FRAME } from './landmark-sequence';
import type { OnnxTemporalDetector } from './onnx-temporal-detector';

export interface TemporalDetectorStageOptions {
  /** Videos' sequence messages in flight. */
  prefetch: number;
  /** A video's sequences not scored within this long are abandoned and retried. */
  deadlineMs?: number;
}

/** Serves one temporal detector. */
export class TemporalDetectorWorker {
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: StageDeps,
    readonly detector: OnnxTemporalDetector,
    private readonly options: TemporalDetectorStageOptions,
  ) {}

  async start(): Promise<void> {
    this.subscription = await consumeAsStage(
      this.deps,
      'detector-workers',
      QUEUES.detector(this.detector.name),
      ['video.sequences'],
      (e, log, d) => this.handle(e, log, d.signal),
      { prefetch: this.options.prefetch, retryPolicy: DEFAULT_RETRY_POLICY, deadlineMs: this.options.deadlineMs },
    );
  }

  /** Stops taking sequences (within `graceMs`, then hands the messages in flight back). */
  async close(graceMs?: number): Promise<void> {
    await this.subscription?.cancel(graceMs);
  }

  private async handle(envelope: Envelope<'video.sequences'>, log: Logger, signal: AbortSignal): Promise<void> {
    const start = performance.now();
    const { clips, clipFrames, error } = envelope.payload;
    const stop = this.deps.metrics.inferenceDurationSeconds.startTimer({ detector: this.detector.name });
    const temporal = error !== undefined ? clipsFailed(error) : await scoreClips(this.detector, clips, clipFrames);
    stop();
    signal.throwIfAborted();
    await this.deps.transport.publish(
      ROUTING.scores,
      createEnvelope('video.scores', envelope.videoId, envelope.correlationId, {
        detector: this.detector.name,
        model: { name: this.detector.name, sha256: this.detector.sha256 },
        scores: [],
        temporal,
        busyMs: elapsedMs(start),
      }),
      { signal },
    );
    log.debug('Sequences scored.', { detector: this.detector.name, clips: clips.length, meanBlockScore: temporal.meanBlockScore });
  }
}

/**
 * Scores the blocks of every face sequence of every clip in one batch (no block spans two
 * clips) and summarises them by face track: the video's score is the highest of its tracks'
 * mean block scores (README, "LRNet on dense clips"), so that one manipulated face among real
 * ones is not averaged away; with one face it is the mean of all blocks. A video without any
 * block says why. Sequences without a track id (croppers before tracks followed one face) are track 0.
 */
export async function scoreClips(detector: OnnxTemporalDetector, clips: readonly ClipSequence[], clipFrames: number): Promise<TemporalScores> {
  const uneven = clips.find((clip) => 'values' in clip && clip.values.length !== clip.frames * LANDMARK_VALUES_PER_FRAME);
  if (uneven !== undefined) throw new InvalidMessageError(`the clip at frame ${uneven.startFrame} does not hold ${LANDMARK_VALUES_PER_FRAME} values per frame`);
  const blocksPerClip = clips.map((clip) =>
    'values' in clip ? landmarkBlocks({ frames: clip.frames, values: Float32Array.from(clip.values) }, detector.blockFrames) : [],
  );
  const scores = await detector.scoreBlocks(blocksPerClip.flat());
  const byTrack = new Map<number, number[]>();
  let next = 0;
  const clipScores: ClipScores[] = clips.map((clip, index) => {
    const count = blocksPerClip[index]!.length;
    const blockScores = scores.slice(next, next + count);
    next += count;
    const track = { ...(clip.trackId === undefined ? {} : { trackId: clip.trackId }), ...(clip.box === undefined ? {} : { box: clip.box }) };
    if ('reason' in clip) return { startFrame: clip.startFrame, ...track, blockScores: [], reason: clip.reason };
    if (count === 0) return { startFrame: clip.startFrame, ...track, blockScores: [], reason: 'TOO_SHORT' };
    const trackId = clip.trackId ?? 0;
    const blocks = byTrack.get(trackId) ?? [];
    blocks.push(...blockScores);
    byTrack.set(trackId, blocks);
    return { startFrame: clip.startFrame, ...track, blockScores };
  });
  // Every track here has at least one block, so its mean is a number.
  const tracks: TrackBlockScores[] = [...byTrack].map(([trackId, blocks]) => ({ trackId, blocks: blocks.length, meanBlockScore: summariseBlocks(blocks).meanBlockScore! }));
  if (tracks.length > 0) return { clips: clipScores, tracks, meanBlockScore: Math.max(...tracks.map((t) => t.meanBlockScore)) };
  return { clips: clipScores, tracks, meanBlockScore: null, reason: noScoreReason(clipScores, clipFrames, detector.blockFrames) };
}

/** The result when the face cropper could not read the clips: no score, and its failure as the reason. */
export function clipsFailed(error: { code: string; message: string }): TemporalScores {
  return { clips: [], tracks: [], meanBlockScore: null, reason: `${error.code} (the dense clips could not be read: ${error.message})` };
}

/** Says why no clip of a video gave a block, for the report. */
function noScoreReason(clips: ClipScores[], clipFrames: number, blockFrames: number): string {
  if (clips.length === 0) return `video shorter than one clip of ${clipFrames} frames`;
  const reasons = [...new Set(clips.map((clip) => ('reason' in clip ? clip.reason : 'TOO_SHORT')))];
  const described = reasons.map((reason) => NO_SCORE_REASONS[reason] ?? reason);
  return `no clip gave a landmark sequence of ${blockFrames + 1} frames or more: ${described.join('; ')}`;
}

const NO_SCORE_REASONS: Record<string, string> = {
  NO_FACE: 'NO_FACE (no face on the clip\'s first frame)',
  FACE_LEFT_REGION: 'FACE_LEFT_REGION (the face moved out of its tracked region)',
  TOO_SHORT: 'TOO_SHORT (the clip ended before one block)',
};
