/**
 * The temporal path of one video in one process: its dense clips (frame-extractor's
 * clip-sampling.ts) are decoded in one ffmpeg run and each gives the landmark sequence of
 * every face followed from its first frame (clip-landmarks.ts). Faces are linked across clips
 * into tracks by the overlap of their first-frame boxes. One clip's face regions are held at a time.
 */
import { clipWindows, type ClipWindow } from '../../frame-extractor/clip-sampling';
import { extractClips, type ExtractClipsOptions } from '../../frame-extractor/extract-clips';
import type { VideoProbe } from '../../frame-extractor/probe-video';
import { IouTracker } from '../iou-tracker';
import { DEFAULT_CLIP_MAX_FACES, DEFAULT_CLIP_MIN_FACE_PX } from '../../common/config';
import { ClipLandmarkBuilder, type ClipLandmarkDeps, type ClipLandmarks } from './clip-landmarks';

/**
 * Least IoU between a face's first-frame boxes in two clips for them to be one track. Low:
 * clips are seconds apart, and a subject who moved is still one face, not two.
 */
export const CLIP_TRACK_IOU = 0.1;

/** Which clips to take, which faces to follow, and how to decode them. */
export interface VideoClipOptions extends ExtractClipsOptions {
  clipCount: number;
  clipFrames: number;
  /** Faces followed per clip, the largest first; default {@link DEFAULT_CLIP_MAX_FACES}. */
  maxFaces?: number;
  /** Smallest face followed (longer side, pixels); default {@link DEFAULT_CLIP_MIN_FACE_PX}. */
  minFaceSizePx?: number;
}

/** One face of one clip (or a clip without a face): the clip's window, the face's track, what it gave. */
export type VideoClipLandmarks = ClipLandmarks & { window: ClipWindow; trackId?: number };

/**
 * The landmarks of each face of each clip of the video at `filePath`, clip by clip, the
 * largest face of a clip first; a clip without a face gives one NO_FACE entry. Empty when
 * the video is shorter than one clip.
 */
export async function videoClipLandmarks(filePath: string, probe: VideoProbe, options: VideoClipOptions, deps: ClipLandmarkDeps): Promise<VideoClipLandmarks[]> {
  const windows = clipWindows(probe.frameCount, options.clipCount, options.clipFrames);
  const faceOptions = { maxFaces: options.maxFaces ?? DEFAULT_CLIP_MAX_FACES, minFaceSizePx: options.minFaceSizePx ?? DEFAULT_CLIP_MIN_FACE_PX };
  const tracks = new IouTracker({ iouThreshold: CLIP_TRACK_IOU, maxGapFrames: windows.length });
  const results: VideoClipLandmarks[] = [];
  let builder: ClipLandmarkBuilder | undefined;
  let current = -1;
  const finish = (): void => {
    if (builder === undefined) return;
    const window = windows[current]!;
    const faces = builder.finish();
    const withFace = faces.filter((f) => f.face !== undefined);
    const trackIds = tracks.update(current, withFace.map((f) => f.face!), window.startFrame);
    for (const face of faces) {
      const index = withFace.indexOf(face);
      results.push({ ...face, window, ...(index >= 0 ? { trackId: trackIds[index]! } : {}) });
    }
  };
  for await (const frame of extractClips(filePath, probe, windows, options)) {
    if (frame.clip !== current) {
      finish();
      builder = new ClipLandmarkBuilder(deps, faceOptions);
      current = frame.clip;
    }
    await builder!.push(frame.image);
  }
  finish();
  return results;
}
