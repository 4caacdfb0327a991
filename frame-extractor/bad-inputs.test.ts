import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_VIDEO_LIMITS, VideoError, probeVideo, type VideoErrorCode, type VideoLimits } from './index';
import { makeTempDir, makeTestClip, runFfmpeg } from '../test/video-fixtures';

let dir: string;
let validClip: string;

beforeAll(async () => {
  dir = await makeTempDir();
  // 4 s at 320×240: large enough that its first 30 % holds no moov atom (the encoder writes it last).
  validClip = await makeTestClip(path.join(dir, 'valid.mp4'), { width: 320, height: 240, frames: 100, fps: 25 });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function probeError(file: string, limits: VideoLimits = DEFAULT_VIDEO_LIMITS): Promise<VideoError> {
  const error: unknown = await probeVideo(file, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VideoError)) throw new Error(`expected a VideoError for ${file}, got ${String(error)}`);
  return error;
}

async function expectCode(file: string, code: VideoErrorCode, limits?: VideoLimits): Promise<VideoError> {
  const error = await probeError(file, limits);
  expect(error.code).toBe(code);
  expect(error.name).toBe('VideoError');
  return error;
}

describe('probeVideo rejects bad inputs with a typed code', () => {
  it('FILE_NOT_FOUND for a missing path', async () => {
    await expectCode(path.join(dir, 'missing.mp4'), 'FILE_NOT_FOUND');
  });

  it('FILE_UNREADABLE for a directory', async () => {
    await expectCode(dir, 'FILE_UNREADABLE');
  });

  it('EMPTY_FILE for a zero-byte file', async () => {
    const file = path.join(dir, 'empty.mp4');
    await fs.writeFile(file, '');
    await expectCode(file, 'EMPTY_FILE');
  });

  it('NOT_A_VIDEO for a text file named .mp4', async () => {
    const file = path.join(dir, 'notes.mp4');
    await fs.writeFile(file, 'Meeting notes: this is not a video.\n'.repeat(20));
    await expectCode(file, 'NOT_A_VIDEO');
  });

  it('CORRUPT_VIDEO for an MP4 cut to its first 30 % (no moov atom)', async () => {
    const whole = await fs.readFile(validClip);
    const file = path.join(dir, 'truncated.mp4');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length * 0.3)));
    await expectCode(file, 'CORRUPT_VIDEO');
  });

  it('NO_VIDEO_STREAM for audio only', async () => {
    const file = path.join(dir, 'tone.m4a');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', file]);
    const error = await expectCode(file, 'NO_VIDEO_STREAM');
    expect(error.message).toContain('only audio');
  });

  it.each(['jpg', 'png'])('STILL_IMAGE for a .%s picture', async (extension) => {
    const file = path.join(dir, `photo.${extension}`);
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file]);
    await expectCode(file, 'STILL_IMAGE');
  });

  it('VIDEO_TOO_LARGE above maxVideoBytes, naming the limit and the size', async () => {
    const { size } = await fs.stat(validClip);
    const error = await expectCode(validClip, 'VIDEO_TOO_LARGE', { ...DEFAULT_VIDEO_LIMITS, maxVideoBytes: 1000 });
    expect(error.message).toContain('1000');
    expect(error.message).toContain(String(size));
  });

  it('VIDEO_TOO_LONG above maxDurationSeconds', async () => {
    const error = await expectCode(validClip, 'VIDEO_TOO_LONG', { ...DEFAULT_VIDEO_LIMITS, maxDurationSeconds: 2 });
    expect(error.message).toContain('4.0 s');
  });

  it('RESOLUTION_TOO_HIGH above maxPixels', async () => {
    const error = await expectCode(validClip, 'RESOLUTION_TOO_HIGH', { ...DEFAULT_VIDEO_LIMITS, maxPixels: 320 * 200 });
    expect(error.message).toContain('320×240');
  });

  it('opens a file whose name starts with "-" and holds ":" as a plain local file', async () => {
    const file = path.join(dir, '-i http:evil.mp4');
    await fs.copyFile(validClip, file);
    const probe = await probeVideo(file, DEFAULT_VIDEO_LIMITS);
    expect(probe).toMatchObject({ width: 320, height: 240, frameCount: 100 });
  });
});
