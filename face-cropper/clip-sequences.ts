/**
 * The face cropper's share of the temporal path: a video's dense clips (one ffmpeg run over
 * the local file), each turned into the calibrated landmark sequence of its face, in the
 * form a temporal detector's `video.sequences` message carries.
 */
import type { ClipSequence } from '../common';
import type { FfmpegPaths, VideoLimits } from '../frame-extractor';
import { probeVideo } from '../frame-extractor/probe-video';
import type { FaceDetector } from './face-detector';
import { videoClipLandmarks, type FaceApiLandmarker, type OpenCv } from './landmarks';

/** What the face cropper needs to give temporal detectors their landmark sequences. */
export interface TemporalClipOptions {
  /** The temporal detectors this cropper serves, by name. */
  detectors: ReadonlySet<string>;
  /** Dense clips per video and frames per clip (frame-extractor/clip-sampling.ts). */
  clipCount: number;
  clipFrames: number;
  landmarker: FaceApiLandmarker;
  cv: OpenCv;
  limits: VideoLimits;
  ffmpegPaths?: FfmpegPaths;
  /** ffmpeg decoder threads; 0 lets ffmpeg choose. */
  decoderThreads?: number;
}

/** Decimals kept per landmark value: upstream LRNet's landmark files keep five (`%1.5f`). */
const VALUE_DECIMALS = 1e5;

/** The landmark sequence of each dense clip of the video at `filePath` (empty when shorter than one clip). */
export async function clipSequences(filePath: string, faceDetector: FaceDetector, options: TemporalClipOptions, signal: AbortSignal): Promise<ClipSequence[]> {
  const probe = await probeVideo(filePath, options.limits, { ffmpegPaths: options.ffmpegPaths, signal });
  const clips = await videoClipLandmarks(
    filePath,
    probe,
    { clipCount: options.clipCount, clipFrames: options.clipFrames, limits: options.limits, ffmpegPaths: options.ffmpegPaths, decoderThreads: options.decoderThreads, signal },
    { faceDetector, landmarker: options.landmarker, cv: options.cv },
  );
  return clips.map((clip): ClipSequence => {
    const startFrame = clip.window.startFrame;
    if (!('values' in clip)) return { startFrame, frames: 0, reason: clip.reason };
    return { startFrame, frames: clip.frames, values: Array.from(clip.values, (v) => Math.round(v * VALUE_DECIMALS) / VALUE_DECIMALS) };
  });
}
