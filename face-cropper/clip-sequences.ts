/**
 * The face cropper's share of the temporal path: a video's dense clips (one ffmpeg run over
 * the local file), each face of each clip turned into its calibrated landmark sequence, in
 * the form a temporal detector's `video.sequences` message carries.
 */
import type { ClipSequence, ClipSettings } from '../common';
import type { FfmpegPaths, VideoLimits } from '../frame-extractor';
import { probeVideo } from '../frame-extractor/probe-video';
import type { FaceDetector } from './face-detector';
import { videoClipLandmarks, type Landmarker, type OpenCv } from './landmarks';

/** What the face cropper needs to give temporal detectors their landmark sequences. */
export interface TemporalClipOptions extends ClipSettings {
  /** The temporal detectors this cropper serves, by name. */
  detectors: ReadonlySet<string>;
  landmarker: Landmarker;
  /** The landmark net as reported (name and SHA-256 of its graph). */
  landmarkModel: { name: string; sha256: string };
  cv: OpenCv;
  limits: VideoLimits;
  ffmpegPaths?: FfmpegPaths;
  /** ffmpeg decoder threads; 0 lets ffmpeg choose. */
  decoderThreads?: number;
}

/** Decimals kept per landmark value: upstream LRNet's landmark files keep five (`%1.5f`). */
const VALUE_DECIMALS = 1e5;

/**
 * The landmark sequence of each face of each dense clip of the video at `filePath`, by
 * track (empty when shorter than one clip).
 */
export async function clipSequences(filePath: string, faceDetector: FaceDetector, options: TemporalClipOptions, signal: AbortSignal): Promise<ClipSequence[]> {
  const probe = await probeVideo(filePath, options.limits, { ffmpegPaths: options.ffmpegPaths, signal });
  const { clipCount, clipFrames, maxFaces, minFaceSizePx } = options;
  const clips = await videoClipLandmarks(
    filePath,
    probe,
    { clipCount, clipFrames, maxFaces, minFaceSizePx, limits: options.limits, ffmpegPaths: options.ffmpegPaths, decoderThreads: options.decoderThreads, signal },
    { faceDetector, landmarker: options.landmarker, cv: options.cv },
  );
  return clips.map((clip): ClipSequence => {
    const startFrame = clip.window.startFrame;
    const track = clip.trackId === undefined || clip.face === undefined ? {} : { trackId: clip.trackId, box: clip.face.box };
    if (!('values' in clip)) return { startFrame, ...track, frames: 0, reason: clip.reason };
    return { startFrame, ...track, frames: clip.frames, values: Array.from(clip.values, (v) => Math.round(v * VALUE_DECIMALS) / VALUE_DECIMALS) };
  });
}

/** The settings a report names so that its clips can be taken again. */
export function clipSettingsOf(options: TemporalClipOptions): ClipSettings {
  const { clipCount, clipFrames, maxFaces, minFaceSizePx } = options;
  return { clipCount, clipFrames, maxFaces, minFaceSizePx };
}
