import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_VIDEO_LIMITS, extractFrames, isVideoError, probeVideo, type SampledFrame } from './index';
import {
  makeRotatedCopy,
  makeTempDir,
  makeTestClip,
  makeVariableRateClip,
  sharedDir,
  variableRatePts,
} from '../test/video-fixtures';

const limits = DEFAULT_VIDEO_LIMITS;
const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');

async function collect(file: string, frameCount: number): Promise<SampledFrame[]> {
  const probe = await probeVideo(file, limits);
  const frames: SampledFrame[] = [];
  for await (const frame of extractFrames(file, probe, { frameCount, limits })) frames.push(frame);
  return frames;
}

/** Frame `n` decoded by a plain ffmpeg run with its default autorotation: the reference picture. */
function referenceFrame(file: string, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-vf', `select=eq(n\\,${n})`, '-fps_mode', 'passthrough', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/** Command lines of running ffmpeg processes that mention `file`. */
function ffmpegProcessesFor(file: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('ffmpeg') && line.includes(file));
}

function isIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('extractFrames on the shared 1080p interview', () => {
  it('yields 32 full-size RGB frames with distinct increasing indices and matching timestamps', async () => {
    const frames = await collect(interview, 32);
    expect(frames).toHaveLength(32);
    expect(isIncreasing(frames.map((f) => f.index))).toBe(true);
    for (const frame of frames) {
      expect(frame.image).toMatchObject({ width: 1920, height: 1080, channels: 3 });
      expect(frame.image.data.length).toBe(1920 * 1080 * 3);
      expect(frame.ptsSeconds).toBeCloseTo(frame.index / 29.97, 2);
    }
    const first = frames[0]!;
    expect(first.image.data.equals(await referenceFrame(interview, first.index))).toBe(true);
  });
});

describe('extractFrames on synthetic clips', () => {
  it('returns each frame of a clip shorter than N exactly once', async () => {
    const file = await makeTestClip(path.join(dir, 'short.mp4'), { width: 64, height: 48, frames: 10, fps: 25 });
    const frames = await collect(file, 32);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(frames.map((f) => f.ptsSeconds)).toEqual([0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36]);
  });

  it('samples N frames of a variable-rate MP4 by decoded ordinal, with their real timestamps', async () => {
    const file = await makeVariableRateClip(path.join(dir, 'vfr.mp4'));
    const probe = await probeVideo(file, limits);
    expect(probe).toMatchObject({ frameCount: 60, frameCountExact: true, variableFrameRate: true });
    const frames = await collect(file, 8);
    expect(frames).toHaveLength(8);
    expect(isIncreasing(frames.map((f) => f.index))).toBe(true);
    for (const frame of frames) expect(frame.ptsSeconds).toBeCloseTo(variableRatePts(frame.index), 2);
  });

  it('yields the frames that exist when an estimated frame count is too high (Matroska)', async () => {
    const file = await makeVariableRateClip(path.join(dir, 'vfr.mkv'));
    const probe = await probeVideo(file, limits);
    expect(probe.frameCountExact).toBe(false);
    expect(probe.frameCount).toBeGreaterThan(60);
    const frames = await collect(file, 8);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThanOrEqual(8);
    for (const frame of frames) {
      expect(frame.index).toBeLessThan(60);
      expect(frame.ptsSeconds).toBeCloseTo(variableRatePts(frame.index), 2);
    }
  });

  it.each([90, 180, 270])('returns frames of a clip tagged rotate=%i in display orientation, as ffmpeg autorotates them', async (degrees) => {
    const base = await makeTestClip(path.join(dir, `upright-${degrees}.mp4`), { width: 160, height: 96, frames: 12, fps: 25 });
    const file = await makeRotatedCopy(base, path.join(dir, `rotated-${degrees}.mp4`), degrees);
    const probe = await probeVideo(file, limits);
    const quarterTurn = degrees !== 180;
    expect(probe.width).toBe(quarterTurn ? 96 : 160);
    expect(probe.height).toBe(quarterTurn ? 160 : 96);
    const frames = await collect(file, 3);
    expect(frames).toHaveLength(3);
    for (const frame of frames) {
      expect(frame.image).toMatchObject({ width: probe.width, height: probe.height });
      expect(frame.image.data.equals(await referenceFrame(file, frame.index))).toBe(true);
    }
  });
});

describe('extractFrames lifecycle', () => {
  let clip: string;
  beforeAll(async () => {
    clip = await makeTestClip(path.join(dir, 'lifecycle-clip.mp4'), { width: 640, height: 360, frames: 250, fps: 25 });
  });

  it('kills ffmpeg when the consumer stops early', async () => {
    const probe = await probeVideo(clip, limits);
    let seen = 0;
    for await (const frame of extractFrames(clip, probe, { frameCount: 32, limits })) {
      expect(frame.index).toBeGreaterThanOrEqual(0);
      seen += 1;
      if (seen === 2) break;
    }
    expect(seen).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ffmpegProcessesFor(clip)).toEqual([]);
  });

  it('kills ffmpeg and throws the abort reason when the signal aborts', async () => {
    const probe = await probeVideo(clip, limits);
    const controller = new AbortController();
    let seen = 0;
    const run = async (): Promise<void> => {
      for await (const frame of extractFrames(clip, probe, { frameCount: 32, limits, signal: controller.signal })) {
        expect(frame.image.data.length).toBe(640 * 360 * 3);
        seen += 1;
        if (seen === 1) controller.abort(new Error('stop now'));
      }
    };
    await expect(run()).rejects.toThrow('stop now');
    expect(seen).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ffmpegProcessesFor(clip)).toEqual([]);
  });

  it('reports FFMPEG_NOT_FOUND when the executables are missing', async () => {
    const probe = await probeVideo(clip, limits);
    const ffmpegPaths = { ffmpegPath: path.join(dir, 'no-such-ffmpeg'), ffprobePath: path.join(dir, 'no-such-ffprobe') };
    const drain = async (): Promise<void> => {
      for await (const frame of extractFrames(clip, probe, { limits, ffmpegPaths })) void frame;
    };
    const decodeError = await drain().catch((error: unknown) => error);
    expect(isVideoError(decodeError, 'FFMPEG_NOT_FOUND')).toBe(true);
    // The clip is an MP4 that the probe reads in-process; any file it leaves to ffprobe needs ffprobe.
    expect(await probeVideo(clip, limits, { ffmpegPaths })).toEqual(probe);
    const probeError = await probeVideo(clip, limits, { ffmpegPaths, inProcessMp4: false }).catch((error: unknown) => error);
    expect(isVideoError(probeError, 'FFMPEG_NOT_FOUND')).toBe(true);
  });
});
