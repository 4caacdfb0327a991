import {
  DEFAULT_FFMPEG_PATHS,
  StderrTail,
  forEachLine,
  killTool,
  safeInputArgs,
  spawnTool,
  waitForExit,
  type FfmpegPaths,
} from './ffmpeg-command';
import { checkInputFile, looksLikeVideoContainer } from './input-file';
import { probeMp4 } from './mp4-probe';
import { VideoError } from './video-error';
import type { VideoLimits } from './video-limits';

/** What {@link probeVideo} learned about a video that passed every limit. */
export interface VideoProbe {
  /** Duration of the video stream (the container's when the stream has none), in seconds. */
  durationSeconds: number;
  /** Number of video frames: the container's count when it has one, else duration × average frame rate. */
  frameCount: number;
  /** False when `frameCount` is an estimate (e.g. Matroska/WebM, which store no frame count). */
  frameCountExact: boolean;
  /** Average frame rate in frames per second. */
  fps: number;
  /** Display width in pixels, after rotation. */
  width: number;
  /** Display height in pixels, after rotation. */
  height: number;
  /** ffmpeg's codec name, e.g. `h264`. */
  codec: string;
  /** Clockwise rotation applied for display: 0, 90, 180 or 270 (as ffmpeg's autorotation applies it). */
  rotationDegrees: number;
  /** True when the average and base frame rates disagree, i.e. frame timing is not constant. */
  variableFrameRate: boolean;
  /** File size in bytes. */
  sizeBytes: number;
  /** ffmpeg's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName: string;
  hasAudio: boolean;
  /** Index of the probed video stream in the container; decoding uses the same stream. */
  streamIndex: number;
  /** ffmpeg's pixel format of the decoded stream, e.g. `yuv420p`, when ffprobe names one. */
  pixelFormat?: string;
  /** The stream's YUV matrix (`bt709`, `smpte170m`, ...), when tagged. */
  colorSpace?: string;
  /** `tv` (limited) or `pc` (full) range, when tagged. */
  colorRange?: string;
}

/** Optional collaborators for {@link probeVideo}. */
export interface ProbeOptions {
  ffmpegPaths?: FfmpegPaths;
  signal?: AbortSignal;
  /** False to run ffprobe on every file, even an MP4 that `probeMp4` describes in-process (default true). */
  inProcessMp4?: boolean;
}

/** The part of ffprobe's JSON that {@link probeVideo} reads (also what `probeMp4` writes). */
export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  pix_fmt?: string;
  color_space?: string;
  color_range?: string;
  disposition?: { attached_pic?: number };
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string };
}

export interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string };
}

/** ffprobe's JSON for the fields we read is a few KB; anything far larger is not worth parsing. */
const MAX_PROBE_OUTPUT_BYTES = 1024 * 1024;
const IMAGE_DEMUXER = /^image2$|_pipe$/;
const SHOW_ENTRIES = [
  'format=format_name,duration',
  'stream=index,codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,duration,nb_frames,pix_fmt,color_space,color_range',
  'stream_disposition=attached_pic',
  'stream_side_data=rotation',
  'stream_tags=rotate',
].join(':');

/**
 * Checks the file, describes it (in-process for the common MP4, see `mp4-probe.ts`; else
 * with ffprobe) and enforces `limits`. Throws a {@link VideoError} for anything that is not
 * a decodable video within limits.
 */
export async function probeVideo(filePath: string, limits: VideoLimits, options: ProbeOptions = {}): Promise<VideoProbe> {
  const input = await checkInputFile(filePath, limits);
  const inProcess = options.inProcessMp4 !== false && isMp4(input.header) ? await probeMp4(filePath, input.sizeBytes) : undefined;
  const output = inProcess && 'output' in inProcess ? inProcess.output : await runFfprobe(filePath, limits, options, looksLikeVideoContainer(input.header));
  options.signal?.throwIfAborted();

  const formatName = output.format?.format_name ?? 'unknown';
  if (IMAGE_DEMUXER.test(formatName)) {
    throw new VideoError('STILL_IMAGE', `${filePath} is a still image (${formatName}), not a video.`, { path: filePath });
  }
  const streams = output.streams ?? [];
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  // Cover art in audio files is a video stream flagged as an attached picture.
  const stream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (stream === undefined) {
    const what = hasAudio ? 'only audio' : 'no video';
    throw new VideoError('NO_VIDEO_STREAM', `${filePath} has ${what} (${formatName}).`, { path: filePath });
  }
  const codedWidth = stream.width ?? 0;
  const codedHeight = stream.height ?? 0;
  if (codedWidth <= 0 || codedHeight <= 0) {
    throw new VideoError('CORRUPT_VIDEO', `${filePath}: the video stream has no frame size.`, { path: filePath });
  }

  const nbFrames = parsePositiveNumber(stream.nb_frames);
  const streamDuration = parsePositiveNumber(stream.duration) ?? parsePositiveNumber(output.format?.duration);
  if (nbFrames === 1 || (streamDuration === undefined && nbFrames === undefined)) {
    throw new VideoError('STILL_IMAGE', `${filePath} holds a single picture (${stream.codec_name ?? 'unknown codec'}), not a video.`, { path: filePath });
  }

  const rotationDegrees = displayRotation(stream);
  const swap = rotationDegrees === 90 || rotationDegrees === 270;
  const width = swap ? codedHeight : codedWidth;
  const height = swap ? codedWidth : codedHeight;
  if (width * height > limits.maxPixels) {
    throw new VideoError(
      'RESOLUTION_TOO_HIGH',
      `${filePath} is ${width}×${height} (${width * height} pixels); the limit is ${limits.maxPixels} pixels.`,
      { path: filePath },
    );
  }

  const avgRate = parseRate(stream.avg_frame_rate);
  const baseRate = parseRate(stream.r_frame_rate);
  const durationSeconds = streamDuration ?? (nbFrames ?? 0) / (avgRate ?? baseRate ?? 25);
  if (durationSeconds > limits.maxDurationSeconds) {
    throw new VideoError(
      'VIDEO_TOO_LONG',
      `${filePath} lasts ${durationSeconds.toFixed(1)} s; the limit is ${limits.maxDurationSeconds} s.`,
      { path: filePath },
    );
  }
  const fps = avgRate ?? baseRate ?? (nbFrames !== undefined ? nbFrames / durationSeconds : 0);
  const frameCount = nbFrames ?? Math.max(1, Math.round(durationSeconds * fps));

  return {
    durationSeconds,
    frameCount,
    frameCountExact: nbFrames !== undefined,
    fps,
    width,
    height,
    codec: stream.codec_name ?? 'unknown',
    rotationDegrees,
    // r_frame_rate is the rate that represents every timestamp; for constant-rate video it equals the average.
    variableFrameRate: avgRate !== undefined && baseRate !== undefined && Math.abs(avgRate - baseRate) > 0.01 * baseRate,
    sizeBytes: input.sizeBytes,
    formatName,
    hasAudio,
    streamIndex: stream.index ?? 0,
    ...(stream.pix_fmt ? { pixelFormat: stream.pix_fmt } : {}),
    ...(stream.color_space ? { colorSpace: stream.color_space } : {}),
    ...(stream.color_range ? { colorRange: stream.color_range } : {}),
  };
}

async function runFfprobe(
  filePath: string,
  limits: VideoLimits,
  options: ProbeOptions,
  looksLikeVideo: boolean,
): Promise<FfprobeOutput> {
  options.signal?.throwIfAborted();
  const executable = (options.ffmpegPaths ?? DEFAULT_FFMPEG_PATHS).ffprobePath;
  const args = ['-hide_banner', '-v', 'error', ...safeInputArgs(filePath, limits), '-show_entries', SHOW_ENTRIES, '-of', 'json'];
  const child = spawnTool(executable, args, 0, options.ffmpegPaths?.launcher);
  const exited = waitForExit(child, executable);
  const onAbort = (): void => killTool(child);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const stderr = new StderrTail();
  forEachLine(child.stderr, (line) => stderr.push(line));
  const chunks: Buffer[] = [];
  let outputBytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    outputBytes += chunk.length;
    if (outputBytes > MAX_PROBE_OUTPUT_BYTES) killTool(child);
    else chunks.push(chunk);
  });

  try {
    const exit = await exited;
    options.signal?.throwIfAborted();
    const parsed = exit.code === 0 ? parseJson(Buffer.concat(chunks).toString('utf8')) : undefined;
    if (parsed !== undefined) return parsed;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  // ffprobe reports a text file and an MP4 cut before its index the same way; the file's magic bytes decide.
  const toolOutput = stderr.toString();
  if (looksLikeVideo) {
    throw new VideoError('CORRUPT_VIDEO', `${filePath} looks like a video container but cannot be parsed (truncated or damaged).`, {
      path: filePath,
      toolOutput,
    });
  }
  throw new VideoError('NOT_A_VIDEO', `${filePath} is not a recognised video format.`, { path: filePath, toolOutput });
}

/** An ISO base media file (MP4, MOV): it opens with an `ftyp` box. */
function isMp4(header: Buffer): boolean {
  return header.length >= 8 && header.toString('latin1', 4, 8) === 'ftyp';
}

function parseJson(text: string): FfprobeOutput | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as FfprobeOutput) : undefined;
  } catch {
    return undefined;
  }
}

function parsePositiveNumber(text: string | undefined): number | undefined {
  const value = text === undefined ? NaN : Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Parses ffprobe's `num/den` rates; `0/0` and absurd values mean unknown. */
function parseRate(text: string | undefined): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (match === null) return undefined;
  const rate = Number(match[1]) / Number(match[2]);
  return Number.isFinite(rate) && rate > 0 && rate <= 1000 ? rate : undefined;
}

/**
 * The clockwise rotation ffmpeg applies when it autorotates. ffprobe reports the
 * display matrix angle counter-clockwise, so ffmpeg turns the picture by its
 * negation (cmdutils `get_rotation`). Angles are snapped to a quarter turn.
 */
function displayRotation(stream: FfprobeStream): number {
  const fromMatrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const counterClockwise = fromMatrix ?? -Number(stream.tags?.rotate ?? 0);
  if (!Number.isFinite(counterClockwise)) return 0;
  const quarterTurns = Math.round(-counterClockwise / 90);
  return (((quarterTurns % 4) + 4) % 4) * 90;
}
