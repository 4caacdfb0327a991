import type { Readable } from 'node:stream';

import type { RawImage } from '../common/raw-image';
import {
  DEFAULT_FFMPEG_PATHS,
  forEachLine,
  killTool,
  safeInputArgs,
  spawnTool,
  waitForExit,
  type FfmpegPaths,
} from './ffmpeg-command';
import { sampleFrameIndices, sampleTimes, selectFilter, timeSelectFilter } from './frame-sampling';
import type { VideoProbe } from './probe-video';
import { ShowinfoLog } from './showinfo-log';
import { VideoError } from './video-error';
import type { VideoLimits } from './video-limits';

/** How many frames {@link extractFrames} samples per video unless told otherwise. */
export const DEFAULT_SAMPLED_FRAME_COUNT = 32;

/**
 * Videos with at least this many frames per sample are decoded without their
 * non-reference frames (`-skip_frame noref`), which ffmpeg can skip without touching any
 * other frame: typically the B-frames, three quarters of an H.264 stream and about 40 %
 * of its decoding time. The reference frames that remain are still far denser than the
 * samples, which are then taken by time instead of by frame number (constant frame rate
 * only, so that a timestamp gives the frame's ordinal).
 */
export const SPARSE_DECODE_MIN_FRAMES_PER_SAMPLE = 4;

/** One decoded frame, in display orientation. */
export interface SampledFrame {
  /** Ordinal of the frame among all decoded frames of the video stream, from 0. */
  index: number;
  /** Presentation time, in seconds from the start of the video. */
  ptsSeconds: number;
  image: RawImage;
}

/** Options for {@link extractFrames}. */
export interface ExtractFramesOptions {
  /** How many frames to sample (N); every frame when the video has fewer. Default {@link DEFAULT_SAMPLED_FRAME_COUNT}. */
  frameCount?: number;
  limits: VideoLimits;
  /** Aborting kills ffmpeg; the iteration then throws the signal's reason. */
  signal?: AbortSignal;
  ffmpegPaths?: FfmpegPaths;
  /**
   * Decoder threads; 0 lets ffmpeg choose (one per core). When several videos decode at
   * once, 1 each does the same work with less CPU (no frame-thread synchronisation).
   */
  decoderThreads?: number;
  /** Where frame buffers come from (e.g. a pool); a new buffer per frame by default. */
  allocate?: (sizeBytes: number) => Buffer;
  /**
   * Decode on the GPU (`-hwaccel cuda`: NVDEC, frames copied back for the filters); see
   * `decodePath`. ffmpeg falls back to software decoding for a stream NVDEC cannot take.
   */
  hwaccel?: 'cuda';
}

/**
 * Decodes the video once with a single ffmpeg process and yields the sampled
 * frames (see {@link sampleFrameIndices}) as RGB images, each as soon as ffmpeg
 * produces it. At most one frame is held in memory: ffmpeg blocks on its output
 * pipe until the consumer asks for the next frame. ffmpeg is killed when the
 * consumer stops early or the signal aborts.
 *
 * Timestamps come from a `showinfo` filter placed after `select`; when a frame
 * has no timestamp, `index / fps` stands in. If the stream ends before every
 * sampled ordinal (the frame count was an overestimate), the frames that came
 * are all there is; none at all is CORRUPT_VIDEO.
 */
export async function* extractFrames(
  filePath: string,
  probe: VideoProbe,
  options: ExtractFramesOptions,
): AsyncGenerator<SampledFrame, void, undefined> {
  const wanted = options.frameCount ?? DEFAULT_SAMPLED_FRAME_COUNT;
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new RangeError(`frameCount must be a positive integer, got ${wanted}`);
  }
  const { signal } = options;
  signal?.throwIfAborted();
  // Constant frame rate and a known frame count only: there a timestamp tells the ordinal exactly.
  const sparse =
    probe.frameCountExact && !probe.variableFrameRate && probe.fps > 0 && probe.durationSeconds > 0 && probe.frameCount >= SPARSE_DECODE_MIN_FRAMES_PER_SAMPLE * wanted;
  const indices = sparse ? sampleTimes(probe.durationSeconds, wanted).map((t) => Math.round(t * probe.fps)) : sampleFrameIndices(probe.frameCount, wanted);
  if (indices.length === 0) {
    throw new VideoError('CORRUPT_VIDEO', `${filePath} has no frames to sample.`, { path: filePath });
  }
  const { width, height } = probe;
  const executable = (options.ffmpegPaths ?? DEFAULT_FFMPEG_PATHS).ffmpegPath;

  const selection = sparse ? { skipNonReference: true, filter: timeSelectFilter(sampleTimes(probe.durationSeconds, wanted)) } : { skipNonReference: false, filter: selectFilter(indices) };
  const child = spawnTool(executable, ffmpegArgs(filePath, probe, selection, indices.length, options.limits, options.decoderThreads ?? 0, options.hwaccel));
  const exited = waitForExit(child, executable);
  // Awaited after the output is read; this only keeps an early return from leaving it unhandled.
  exited.catch(() => undefined);
  const log = new ShowinfoLog();
  forEachLine(child.stderr!, (line) => log.accept(line));
  child.stderr!.once('close', () => log.close());
  child.stderr!.once('error', () => log.close());
  const onAbort = (): void => killTool(child);
  signal?.addEventListener('abort', onAbort, { once: true });

  const frames = new FrameAssembler(width * height * 3, options.allocate);
  let produced = 0;
  try {
    for await (const chunk of child.stdout as Readable) {
      for (const data of frames.push(chunk as Buffer)) {
        if (produced >= indices.length) break;
        const timestamp = await log.timestampOf(produced);
        // Taken by time, a frame's ordinal is its timestamp in frames; by number, it is known.
        const index = sparse && timestamp !== undefined && probe.fps > 0 ? Math.round(timestamp * probe.fps) : indices[produced]!;
        const ptsSeconds = timestamp ?? (probe.fps > 0 ? index / probe.fps : 0);
        signal?.throwIfAborted();
        produced += 1;
        yield { index, ptsSeconds, image: { data, width, height, channels: 3 } };
      }
      if (produced >= indices.length) break;
    }
    if (produced >= indices.length) return;
    const exit = await exited;
    signal?.throwIfAborted();
    throwIfFailed(filePath, exit, produced, frames.pendingBytes, log.problems.toString());
  } finally {
    signal?.removeEventListener('abort', onAbort);
    killTool(child);
  }
}

function ffmpegArgs(
  filePath: string,
  probe: VideoProbe,
  selection: { skipNonReference: boolean; filter: string },
  frameCount: number,
  limits: VideoLimits,
  decoderThreads: number,
  hwaccel: 'cuda' | undefined,
): string[] {
  const filters = [
    // Timestamps from 0, so that sampling times do not depend on the container's start time.
    ...(selection.skipNonReference ? ['setpts=PTS-STARTPTS'] : []),
    selection.filter,
    'showinfo=checksum=0',
    // Rotating after select touches only the sampled frames; ffmpeg's autorotation would turn every decoded frame.
    ...rotationFilters(probe.rotationDegrees),
    // A fixed output size keeps the rawvideo stream cuttable even if the stream changes resolution midway.
    `scale=${probe.width}:${probe.height}`,
    'format=rgb24',
  ];
  return [
    '-nostdin', '-hide_banner', '-nostats',
    // showinfo logs at info level; level tags let ShowinfoLog tell its lines from warnings and errors.
    '-loglevel', 'level+info',
    '-noautorotate',
    // A container that lies about its duration still cannot make us decode past the limit.
    '-t', String(limits.maxDurationSeconds),
    '-threads', String(decoderThreads),
    ...(hwaccel ? ['-hwaccel', hwaccel] : []),
    ...(selection.skipNonReference ? ['-skip_frame', 'noref'] : []),
    ...safeInputArgs(filePath, limits),
    '-map', `0:${probe.streamIndex}`,
    '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    // passthrough: each selected frame exactly once, no duplicates or drops for timing.
    '-fps_mode', 'passthrough',
    // Stop decoding as soon as the last sampled frame is out.
    '-frames:v', String(frameCount),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

/** The filters ffmpeg's autorotation inserts for a clockwise quarter-turn rotation (ffmpeg 5.1 ffmpeg_filter.c). */
function rotationFilters(clockwiseDegrees: number): string[] {
  switch (clockwiseDegrees) {
    case 90:
      return ['transpose=clock'];
    case 180:
      return ['hflip', 'vflip'];
    case 270:
      return ['transpose=cclock'];
    default:
      return [];
  }
}

function throwIfFailed(
  filePath: string,
  exit: { code: number | null; signal: NodeJS.Signals | null },
  produced: number,
  pendingBytes: number,
  toolOutput: string,
): void {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  if (exit.signal !== null || pendingBytes > 0 || (exit.code !== 0 && produced > 0)) {
    const detail = pendingBytes > 0 ? `left a partial frame (${pendingBytes} bytes)` : how;
    throw new VideoError('DECODE_FAILED', `Decoding ${filePath} failed after ${produced} frames: ffmpeg ${detail}.`, {
      path: filePath,
      toolOutput,
    });
  }
  if (produced === 0) {
    throw new VideoError('CORRUPT_VIDEO', `Decoding ${filePath} produced no frames (ffmpeg ${how}).`, {
      path: filePath,
      toolOutput,
    });
  }
}

/** Cuts a byte stream into frames of exactly `frameBytes`, copying each into its own buffer. */
class FrameAssembler {
  private frame: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly allocate: (sizeBytes: number) => Buffer = (n) => Buffer.allocUnsafeSlow(n),
  ) {}

  /** Bytes of an incomplete frame waiting for more data. */
  get pendingBytes(): number {
    return this.filled;
  }

  *push(chunk: Buffer): Generator<Buffer> {
    let offset = 0;
    while (offset < chunk.length) {
      this.frame ??= this.allocate(this.frameBytes);
      const copied = chunk.copy(this.frame, this.filled, offset, offset + Math.min(chunk.length - offset, this.frameBytes - this.filled));
      this.filled += copied;
      offset += copied;
      if (this.filled === this.frameBytes) {
        const complete = this.frame;
        this.frame = undefined;
        this.filled = 0;
        yield complete;
      }
    }
  }
}
