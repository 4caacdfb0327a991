/**
 * Decodes a video's dense clips (consecutive frames, for a temporal detector) with one
 * ffmpeg run.
 *
 * Not in the sparse sample's decoding pass: that pass skips non-reference frames where it
 * can and reads its outputs in lock step, while a clip needs every frame of its window. Nor
 * by seeking to each clip: a container whose index marks every frame as a key frame (one of
 * LRNet's demo videos) makes ffmpeg start decoding mid-group and hand out grey garbage. So
 * the video is decoded from its start up to the last clip's last frame, and only the clips'
 * frames are converted and piped.
 */
import { FrameQueue } from './frame-queue';
import { DEFAULT_FFMPEG_PATHS, forEachLine, killTool, safeInputArgs, spawnTool, StderrTail, waitForExit, type FfmpegPaths } from './ffmpeg-command';
import type { ClipWindow } from './clip-sampling';
import type { VideoProbe } from './probe-video';
import { VideoError } from './video-error';
import type { VideoLimits } from './video-limits';
import type { RawImage } from '../common/raw-image';

/** Options for {@link extractClips}. */
export interface ExtractClipsOptions {
  limits: VideoLimits;
  ffmpegPaths?: FfmpegPaths;
  /** Decoder threads; 0 lets ffmpeg choose. */
  decoderThreads?: number;
  signal?: AbortSignal;
}

/** One frame of a clip. */
export interface ClipFrame {
  /** Which of the windows it belongs to (their index in the list given). */
  clip: number;
  /** Its place in the clip, from 0. */
  offset: number;
  /** RGB, display orientation, full resolution. */
  image: RawImage;
}

/**
 * Yields the frames of `windows` (ascending, not overlapping) in order, one at a time
 * (ffmpeg waits on its pipe while the consumer works). When the stream ends inside a clip,
 * the frames there are come and the iteration ends; ffmpeg failing is DECODE_FAILED.
 */
export async function* extractClips(
  filePath: string,
  probe: VideoProbe,
  windows: readonly ClipWindow[],
  options: ExtractClipsOptions,
): AsyncGenerator<ClipFrame, void, undefined> {
  if (windows.length === 0) return;
  const { width, height } = probe;
  const { signal } = options;
  signal?.throwIfAborted();
  const total = windows.reduce((sum, w) => sum + w.frames, 0);
  const select = windows.map((w) => `between(n\\,${w.startFrame}\\,${w.startFrame + w.frames - 1})`).join('+');
  const executable = (options.ffmpegPaths ?? DEFAULT_FFMPEG_PATHS).ffmpegPath;
  const args = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'error',
    '-threads', String(options.decoderThreads ?? 0),
    '-t', String(options.limits.maxDurationSeconds),
    ...safeInputArgs(filePath, options.limits),
    '-map', `0:${probe.streamIndex}`, '-an', '-sn', '-dn',
    // ffmpeg's autorotation is left on: the probe's size is the rotated one. The select comes
    // first, so that only the clips' frames are rotated, scaled and converted.
    '-vf', `select=${select},scale=${width}:${height},format=rgb24`,
    '-fps_mode', 'passthrough',
    // Decoding stops after the last clip's last frame.
    '-frames:v', String(total),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  const queue = new FrameQueue(width * height * 3);
  const child = spawnTool(executable, args, 0, options.ffmpegPaths?.launcher, new Map([[1, queue.directReader]]));
  const exited = waitForExit(child, executable);
  exited.catch(() => undefined);
  const stderr = new StderrTail();
  forEachLine(child.stderr, (line) => stderr.push(line));
  const onAbort = (): void => killTool(child);
  signal?.addEventListener('abort', onAbort, { once: true });
  queue.readFrom(child.stdout, child.directOutputs.has(1));
  let produced = 0;
  try {
    for (const [clip, window] of windows.entries()) {
      for (let offset = 0; offset < window.frames; offset += 1) {
        const data = await queue.next();
        if (data === undefined) break;
        signal?.throwIfAborted();
        produced += 1;
        yield { clip, offset, image: { data, width, height, channels: 3 } };
      }
    }
    // After the last frame ffmpeg ends by itself (-frames:v): waiting for it frees it (and
    // counts its CPU time in this process's children) before the caller moves on.
    const exit = await exited;
    signal?.throwIfAborted();
    if (produced >= total) return;
    if (exit.code !== 0 || exit.signal !== null || queue.pendingBytes > 0) {
      throw new VideoError('DECODE_FAILED', `Decoding the clips of ${filePath} failed after ${produced} frames.`, {
        path: filePath,
        toolOutput: stderr.toString(),
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    killTool(child);
    queue.close();
  }
}
