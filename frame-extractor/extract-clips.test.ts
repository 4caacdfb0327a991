import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { makeTempDir, makeTestClip } from '../test/video-fixtures';
import { extractClips, type ClipFrame } from './extract-clips';
import { probeVideo } from './probe-video';
import { DEFAULT_VIDEO_LIMITS } from './video-limits';

/** Frame `n` of `file` as RGB, decoded by a plain ffmpeg run of its own. */
function frameByNumber(file: string, n: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
}

async function collect(frames: AsyncIterable<ClipFrame>): Promise<ClipFrame[]> {
  const all: ClipFrame[] = [];
  for await (const frame of frames) all.push(frame);
  return all;
}

describe('extractClips', () => {
  let dir: string;
  let video: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    video = await makeTestClip(path.join(dir, 'clip.mp4'), { width: 160, height: 120, frames: 90, fps: 30 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("delivers each clip's consecutive frames, the same pixels as decoding those frames alone", async () => {
    const probe = await probeVideo(video, DEFAULT_VIDEO_LIMITS);
    const frames = await collect(extractClips(video, probe, [{ startFrame: 10, frames: 4 }, { startFrame: 50, frames: 4 }], { limits: DEFAULT_VIDEO_LIMITS }));
    expect(frames.map((f) => [f.clip, f.offset])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]]);
    for (const frame of [frames[0]!, frames[3]!, frames[5]!]) {
      const n = [10, 50][frame.clip]! + frame.offset;
      expect(frame.image.data.equals(frameByNumber(video, n))).toBe(true);
    }
  });

  it('ends quietly with the frames there are when the video ends inside a clip', async () => {
    const probe = await probeVideo(video, DEFAULT_VIDEO_LIMITS);
    const frames = await collect(extractClips(video, probe, [{ startFrame: 85, frames: 10 }], { limits: DEFAULT_VIDEO_LIMITS }));
    expect(frames).toHaveLength(5);
  });
});
