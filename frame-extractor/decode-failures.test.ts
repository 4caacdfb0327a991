import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_VIDEO_LIMITS, extractFrames, probeVideo, VideoError, type SampledFrame, type VideoErrorCode } from './index';
import { makeTempDir, makeTestClip, runFfmpeg } from '../test/video-fixtures';

const limits = DEFAULT_VIDEO_LIMITS;
let dir: string;
/** A 100-frame 64×48 clip with its index (moov) before the media data, so a cut keeps it probeable. */
let faststart: Buffer;
let mdatOffset: number;

beforeAll(async () => {
  dir = await makeTempDir();
  const file = path.join(dir, 'faststart.mp4');
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-frames:v', '100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', file,
  ]);
  faststart = await fs.readFile(file);
  mdatOffset = topLevelBoxOffset(faststart, 'mdat');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function topLevelBoxOffset(mp4: Buffer, type: string): number {
  for (let offset = 0; offset + 8 <= mp4.length; offset += mp4.readUInt32BE(offset)) {
    if (mp4.toString('latin1', offset + 4, offset + 8) === type) return offset;
  }
  throw new Error(`no ${type} box`);
}

async function extractAll(file: string, ffmpegPath?: string): Promise<SampledFrame[]> {
  const probe = await probeVideo(file, limits);
  const ffmpegPaths = ffmpegPath === undefined ? undefined : { ffmpegPath, ffprobePath: 'ffprobe' };
  const frames: SampledFrame[] = [];
  for await (const frame of extractFrames(file, probe, { frameCount: 8, limits, ffmpegPaths })) frames.push(frame);
  return frames;
}

async function expectDecodeError(file: string, code: VideoErrorCode, ffmpegPath?: string): Promise<void> {
  const error = await extractAll(file, ffmpegPath).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(VideoError);
  expect((error as VideoError).code).toBe(code);
}

/** An executable standing in for ffmpeg that runs `script` (sh) and ignores its arguments. */
async function fakeFfmpeg(name: string, script: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

describe('extractFrames on damaged or failing decodes', () => {
  it('CORRUPT_VIDEO when the index is intact but no frame decodes', async () => {
    const file = path.join(dir, 'index-only.mp4');
    await fs.writeFile(file, faststart.subarray(0, mdatOffset + 16));
    await expect(probeVideo(file, limits)).resolves.toMatchObject({ frameCount: 100 });
    await expectDecodeError(file, 'CORRUPT_VIDEO');
  });

  it('yields only the frames before the cut of a truncated file', async () => {
    const file = path.join(dir, 'half.mp4');
    await fs.writeFile(file, faststart.subarray(0, mdatOffset + Math.floor((faststart.length - mdatOffset) / 2)));
    const frames = await extractAll(file);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(8);
  });

  it('DECODE_FAILED when ffmpeg fails after writing part of a frame', async () => {
    const clip = await makeTestClip(path.join(dir, 'clip.mp4'), { width: 64, height: 48, frames: 20, fps: 25 });
    const ffmpeg = await fakeFfmpeg('partial-ffmpeg', `head -c ${64 * 48 * 3 + 100} /dev/zero\nexit 1`);
    await expectDecodeError(clip, 'DECODE_FAILED', ffmpeg);
  });

  it('DECODE_FAILED when ffmpeg crashes', async () => {
    const clip = await makeTestClip(path.join(dir, 'clip2.mp4'), { width: 64, height: 48, frames: 20, fps: 25 });
    const ffmpeg = await fakeFfmpeg('crashing-ffmpeg', `head -c ${64 * 48 * 3} /dev/zero\nkill -SEGV $$`);
    await expectDecodeError(clip, 'DECODE_FAILED', ffmpeg);
  });
});
