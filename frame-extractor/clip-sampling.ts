/**
 * Where a temporal detector's dense clips are taken from a video: a few windows of
 * consecutive frames spread over it, beside the sparse sample that crop detectors read.
 */

/** Clips per video unless told otherwise: four places over the video, as the issue suggests. */
export const DEFAULT_CLIP_COUNT = 4;

/**
 * Frames per clip unless told otherwise: 61, two LRNet blocks of 30 (upstream's blocking
 * needs one frame more than its blocks, see detector-workers/landmark-blocks.ts), about
 * 2 s at 30 fps.
 */
export const DEFAULT_CLIP_FRAMES = 61;

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
