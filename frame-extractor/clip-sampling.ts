/**
 * Where a temporal detector's dense clips are taken from a video: a few windows of
 * consecutive frames spread over it, beside the sparse sample that crop detectors read.
 */

/** The defaults live with the configuration (`DEEPSIFT_CLIP_COUNT`, `DEEPSIFT_CLIP_FRAMES`). */
export { DEFAULT_CLIP_COUNT, DEFAULT_CLIP_FRAMES } from '../common/config';

/** One window of consecutive frames. */
export interface ClipWindow {
  /** Ordinal of the clip's first frame among the video's frames, from 0. */
  startFrame: number;
  /** Consecutive frames in the clip. */
  frames: number;
}

/**
 * Up to `clipCount` windows of `clipFrames` consecutive frames, each centred on the middle
 * of one of `clipCount` equal segments of the video (as the sparse sample is) and moved
 * inside it. Windows never overlap: where the video is too short for all of them, fewer
 * come back. None when the video has fewer frames than one clip.
 */
export function clipWindows(frameCount: number, clipCount: number, clipFrames: number): ClipWindow[] {
  const frames = Math.max(0, Math.floor(frameCount));
  if (frames < clipFrames || clipCount < 1 || clipFrames < 1) return [];
  const windows: ClipWindow[] = [];
  for (let i = 0; i < clipCount; i += 1) {
    const centre = ((2 * i + 1) * frames) / (2 * clipCount);
    const startFrame = Math.min(frames - clipFrames, Math.max(0, Math.round(centre - clipFrames / 2)));
    const previous = windows[windows.length - 1];
    if (previous !== undefined && startFrame < previous.startFrame + previous.frames) continue;
    windows.push({ startFrame, frames: clipFrames });
  }
  return windows;
}
