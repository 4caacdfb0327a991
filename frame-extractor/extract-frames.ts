import { yuv420Bytes, type RawImage, type Yuv420Image } from '../common/raw-image';
import { yuvMatrixOf } from '../common/yuv-matrix';
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
import { FrameQueue } from './frame-queue';
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

/**
 * One decoded frame in two forms from one pass (see {@link extractFramesForDetection}): the
 * full-resolution frame as YUV 4:2:0 for the face crops, and an RGB copy already resized to
 * the face detector's input.
 */
export interface DetectionFrame {
  index: number;
  ptsSeconds: number;
  full: Yuv420Image;
  detection: RawImage;
}

/** Width and height in pixels. */
export interface FrameSize {
  width: number;
  height: number;
}

/** What one rawvideo output of ffmpeg carries. */
interface RawOutput {
  /** What ffmpeg writes; `gbrp` (planar RGB: a G, a B and an R plane) is handed on interleaved, as `rgb24`. */
  pixFmt: 'rgb24' | 'gbrp' | 'yuv420p';
  size: FrameSize;
  /** Filters applied to this output only (after the shared ones). */
  filters: string[];
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
  const { width, height } = probe;
  // A fixed output size keeps the rawvideo stream cuttable even if the stream changes resolution midway.
  const output: RawOutput = { pixFmt: 'rgb24', size: { width, height }, filters: [`scale=${width}:${height}`, 'format=rgb24'] };
  for await (const frame of decodeFrames(filePath, probe, options, [output])) {
    yield { index: frame.index, ptsSeconds: frame.ptsSeconds, image: { data: frame.buffers[0]!, width, height, channels: 3 } };
  }
}

/**
 * Whether {@link extractFramesForDetection} gives the same pixels as {@link extractFrames}
 * once its crops are converted to RGB: ffmpeg's rgb24 of a limited-range YUV 4:2:0 stream
 * is BT.601 unless the stream is tagged BT.709 (`common/yuv-to-rgb.ts` does both, within 2
 * levels, whatever the width: measured on 1080-, 1270-, 1912- and 1928-wide frames too), and
 * a 4:2:0 copy of it loses nothing. Other streams (4:4:4, other matrices such as BT.2020,
 * full range, RGB) keep the RGB path, and so do frames of odd width or height, whose last
 * chroma sample covers one pixel.
 */
export function canCarryAsYuv420(probe: VideoProbe): boolean {
  return (
    probe.pixelFormat === 'yuv420p' &&
    probe.width % 2 === 0 &&
    probe.height % 2 === 0 &&
    yuvMatrixOf(probe.colorSpace) !== undefined &&
    [undefined, 'unknown', 'tv'].includes(probe.colorRange)
  );
}

/**
 * Like {@link extractFrames}, in the same single decoding pass, but each sampled frame comes
 * out twice: full resolution as YUV 4:2:0 (half the bytes of RGB, converted to RGB only
 * where a face is cropped) and resized to `detectionSize` as RGB (bilinear) for the face
 * detector. A 1080p frame is then 3.1 + 0.9 MB through the pipe instead of 6.2, and nothing
 * is resized in JavaScript.
 */
export async function* extractFramesForDetection(
  filePath: string,
  probe: VideoProbe,
  detectionSize: FrameSize,
  options: ExtractFramesOptions,
): AsyncGenerator<DetectionFrame, void, undefined> {
  const { width, height } = probe;
  const outputs: RawOutput[] = [
    { pixFmt: 'yuv420p', size: { width, height }, filters: [`scale=${width}:${height}`, 'format=yuv420p'] },
    // Chroma interpolated at full resolution and accurate rounding: the detector's input then
    // stays within rounding of sharp's resize of the RGB frame (measured: video scores within
    // 0.0014, against 0.017 with swscale's default chroma handling), for 0.2 CPU-s less per
    // 1080p video than converting the whole frame to RGB first. Written as planar gbrp, the
    // same bytes as rgb24 in another order: swscale's packed rgb24 writer for full chroma cost
    // 0.05–0.28 CPU-s more per 1080p video (measured, depending on the machine's load), and
    // interleaving it back (decodeFrames, with a copy) costs ~0.6–1 ms per frame.
    { pixFmt: 'gbrp', size: detectionSize, filters: [`scale=${detectionSize.width}:${detectionSize.height}:flags=bilinear+full_chroma_int+accurate_rnd`, 'format=gbrp'] },
  ];
  for await (const frame of decodeFrames(filePath, probe, options, outputs)) {
    yield {
      index: frame.index,
      ptsSeconds: frame.ptsSeconds,
      full: { data: frame.buffers[0]!, width, height, format: 'yuv420p', matrix: yuvMatrixOf(probe.colorSpace) },
      detection: { data: frame.buffers[1]!, width: detectionSize.width, height: detectionSize.height, channels: 3 },
    };
  }
}

/** ffmpeg's planar `gbrp` (a G, a B and an R plane) written into `rgb` as interleaved `rgb24`. */
export function gbrpToRgb24(gbrp: Buffer, rgb: Buffer): void {
  const pixels = gbrp.length / 3;
  const blue = pixels;
  const red = 2 * pixels;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    rgb[p] = gbrp[red + i];
    rgb[p + 1] = gbrp[i];
    rgb[p + 2] = gbrp[blue + i];
  }
}

function outputBytes(output: RawOutput): number {
  const { width, height } = output.size;
  return output.pixFmt === 'yuv420p' ? yuv420Bytes(width, height) : width * height * 3;
}

/**
 * Decodes the video once with a single ffmpeg process writing one rawvideo output per
 * entry of `outputs` (the first on stdout, the next on fd 3), and yields each sampled
 * frame's buffers, one per output (`gbrp` ones interleaved as `rgb24`), as soon as ffmpeg
 * produced them all.
 */
async function* decodeFrames(
  filePath: string,
  probe: VideoProbe,
  options: ExtractFramesOptions,
  outputs: RawOutput[],
): AsyncGenerator<{ index: number; ptsSeconds: number; buffers: Buffer[] }, void, undefined> {
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
  const executable = (options.ffmpegPaths ?? DEFAULT_FFMPEG_PATHS).ffmpegPath;

  const selection = sparse ? { skipNonReference: true, filter: timeSelectFilter(sampleTimes(probe.durationSeconds, wanted)) } : { skipNonReference: false, filter: selectFilter(indices) };
  const launcher = options.ffmpegPaths?.launcher;
  const queues = outputs.map((output) => new FrameQueue(outputBytes(output), options.allocate));
  // Planar frames are copied here and interleaved back into their own (pooled) buffer.
  const planes = outputs.map((output) => (output.pixFmt === 'gbrp' ? Buffer.allocUnsafe(outputBytes(output)) : undefined));
  // Output i is written to pipe:1 (i = 0), else pipe:(i + 2): see ffmpegArgs.
  const fds = outputs.map((_, i) => (i === 0 ? 1 : i + 2));
  const directReaders = new Map(queues.map((queue, i) => [fds[i]!, queue.directReader]));
  const args = ffmpegArgs(filePath, probe, selection, indices.length, options.limits, options.decoderThreads ?? 0, options.hwaccel, outputs);
  const child = spawnTool(executable, args, outputs.length - 1, launcher, directReaders);
  const exited = waitForExit(child, executable);
  // Awaited after the output is read; this only keeps an early return from leaving it unhandled.
  exited.catch(() => undefined);
  const log = new ShowinfoLog();
  forEachLine(child.stderr, (line) => log.accept(line));
  child.stderr.once('close', () => log.close());
  child.stderr.once('error', () => log.close());
  const onAbort = (): void => killTool(child);
  signal?.addEventListener('abort', onAbort, { once: true });

  const streams = [child.stdout, ...child.extraOutputs];
  queues.forEach((queue, i) => queue.readFrom(streams[i]!, child.directOutputs.has(fds[i]!)));
  let produced = 0;
  try {
    while (produced < indices.length) {
      const buffers: Buffer[] = [];
      for (const [i, queue] of queues.entries()) {
        const data = await queue.next();
        if (data === undefined) break;
        const scratch = planes[i];
        if (scratch) {
          data.copy(scratch);
          gbrpToRgb24(scratch, data);
        }
        buffers.push(data);
      }
      if (buffers.length < queues.length) break;
      const timestamp = await log.timestampOf(produced);
      // Taken by time, a frame's ordinal is its timestamp in frames; by number, it is known.
      const index = sparse && timestamp !== undefined && probe.fps > 0 ? Math.round(timestamp * probe.fps) : indices[produced]!;
      const ptsSeconds = timestamp ?? (probe.fps > 0 ? index / probe.fps : 0);
      signal?.throwIfAborted();
      produced += 1;
      yield { index, ptsSeconds, buffers };
    }
    if (produced >= indices.length) return;
    const exit = await exited;
    signal?.throwIfAborted();
    throwIfFailed(filePath, exit, produced, queues.reduce((sum, q) => sum + q.pendingBytes, 0), log.problems.toString());
  } finally {
    signal?.removeEventListener('abort', onAbort);
    killTool(child);
    for (const queue of queues) queue.close();
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
  outputs: RawOutput[],
): string[] {
  const shared = [
    // Timestamps from 0, so that sampling times do not depend on the container's start time.
    ...(selection.skipNonReference ? ['setpts=PTS-STARTPTS'] : []),
    selection.filter,
    'showinfo=checksum=0',
    // Rotating after select touches only the sampled frames; ffmpeg's autorotation would turn every decoded frame.
    ...rotationFilters(probe.rotationDegrees),
  ];
  const output = (pixFmt: string, target: string): string[] => [
    // passthrough: each selected frame exactly once, no duplicates or drops for timing.
    '-fps_mode', 'passthrough',
    // Stop decoding as soon as the last sampled frame is out.
    '-frames:v', String(frameCount),
    '-f', 'rawvideo', '-pix_fmt', pixFmt, target,
  ];
  const only = outputs.length === 1 ? outputs[0]! : undefined;
  const graph = only
    ? ['-map', `0:${probe.streamIndex}`, '-an', '-sn', '-dn', '-vf', [...shared, ...only.filters].join(','), ...output(only.pixFmt, 'pipe:1')]
    : [
        // One decode, split after select: each output converts only the sampled frames.
        '-filter_complex',
        [
          `[0:${probe.streamIndex}]${[...shared, `split=${outputs.length}`].join(',')}${outputs.map((_, i) => `[s${i}]`).join('')}`,
          ...outputs.map((o, i) => `[s${i}]${o.filters.join(',')}[o${i}]`),
        ].join(';'),
        ...outputs.flatMap((o, i) => ['-map', `[o${i}]`, ...output(o.pixFmt, i === 0 ? 'pipe:1' : `pipe:${i + 2}`)]),
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
    ...graph,
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
