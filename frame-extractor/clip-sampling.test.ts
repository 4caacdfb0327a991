import { clipWindows } from './clip-sampling';

describe('clipWindows', () => {
  it('spreads non-overlapping windows over the video, centred on equal segments', () => {
    expect(clipWindows(757, 4, 61)).toEqual([
      { startFrame: 64, frames: 61 },
      { startFrame: 253, frames: 61 },
      { startFrame: 443, frames: 61 },
      { startFrame: 632, frames: 61 },
    ]);
  });

  it('keeps every window inside the video', () => {
    for (const window of clipWindows(130, 2, 61)) {
      expect(window.startFrame).toBeGreaterThanOrEqual(0);
      expect(window.startFrame + window.frames).toBeLessThanOrEqual(130);
    }
  });

  it('gives fewer windows where the video is too short for all of them', () => {
    expect(clipWindows(100, 4, 61)).toEqual([{ startFrame: 0, frames: 61 }]);
  });

  it('gives none for a video shorter than one clip', () => {
    expect(clipWindows(60, 4, 61)).toEqual([]);
    expect(clipWindows(0, 4, 61)).toEqual([]);
  });
});
