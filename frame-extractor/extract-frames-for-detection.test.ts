import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import sharp from 'sharp';

import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { gbrpToRgb24 } from './extract-frames';
import { canCarryAsYuv420, DEFAULT_VIDEO_LIMITS, extractFrames, extractFramesForDetection, probeVideo, type DetectionFrame, type SampledFrame, type VideoProbe } from './index';
import { runFfmpeg, sharedDir, tagColours } from '../test/video-fixtures';

const limits = DEFAULT_VIDEO_LIMITS;
const interview = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
const detectionSize = { width: 640, height: 480 };

/** Largest and mean absolute difference between two byte arrays of the same length. */
function difference(a: Buffer, b: Buffer): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'deepsift-yuv-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

it("interleaves ffmpeg's planar gbrp into exactly the bytes of its rgb24", async () => {
  // One frame of a test pattern, converted by ffmpeg both ways with the detection frame's flags.
  const convert = async (pixFmt: string): Promise<Buffer> => {
    const file = path.join(folder, `pattern.${pixFmt}`);
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=1,format=yuv420p', '-frames:v', '1', '-vf', `scale=64:48:flags=bilinear+full_chroma_int+accurate_rnd,format=${pixFmt}`, '-f', 'rawvideo', file]);
    return fs.readFileSync(file);
  };
  const rgb24 = await convert('rgb24');
  const interleaved = Buffer.alloc(rgb24.length);
  gbrpToRgb24(await convert('gbrp'), interleaved);
  expect(interleaved.equals(rgb24)).toBe(true);
});

it('a video tagged with a matrix other than BT.601 or BT.709 (BT.2020) keeps the RGB path', async () => {
  const bt2020 = await tagColours(interview, path.join(folder, 'bt2020.mp4'), 'bt2020');
  expect(canCarryAsYuv420(await probeVideo(bt2020, limits))).toBe(false);
});

/** Portrait 1080×1920, as phones film: a width that is not a multiple of 16. */
async function portrait(): Promise<string> {
  const file = path.join(folder, 'portrait.mp4');
  await runFfmpeg(['-i', interview, '-t', '2', '-vf', 'crop=1080:1080,scale=1080:1920', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
  return file;
}

describe.each([
  ['the sample video (untagged: BT.601)', 'bt601', async () => interview],
  ['the sample video tagged BT.709', 'bt709', async () => tagColours(interview, path.join(folder, 'bt709.mp4'), 'bt709')],
  ['a portrait video, 1080 wide', 'bt601', portrait],
] as const)('extractFramesForDetection of %s', (_, matrix, makeVideo) => {
  let probe: VideoProbe;
  let rgbFrames: SampledFrame[];
  let splitFrames: DetectionFrame[];
  beforeAll(async () => {
    const video = await makeVideo();
    probe = await probeVideo(video, limits);
    rgbFrames = [];
    for await (const frame of extractFrames(video, probe, { frameCount: 4, limits })) rgbFrames.push(frame);
    splitFrames = [];
    for await (const frame of extractFramesForDetection(video, probe, detectionSize, { frameCount: 4, limits })) splitFrames.push(frame);
  }, 60_000);

  it('qualifies for the YUV path (4:2:0, even width and height, a matrix it converts)', () => {
    expect(canCarryAsYuv420(probe)).toBe(true);
  });

  it('samples the same frames, at the same times, as the RGB path', () => {
    expect(splitFrames.map((f) => [f.index, f.ptsSeconds])).toEqual(rgbFrames.map((f) => [f.index, f.ptsSeconds]));
  });

  it('gives a full-resolution YUV frame, with its matrix, and a detection-size RGB frame per sample', () => {
    for (const frame of splitFrames) {
      expect(frame.full).toMatchObject({ width: probe.width, height: probe.height, format: 'yuv420p' });
      expect(frame.full.matrix).toBe(matrix);
      expect(frame.full.data.length).toBe(probe.width * probe.height * 3 / 2);
      expect(frame.detection).toMatchObject({ width: 640, height: 480, channels: 3 });
      expect(frame.detection.data.length).toBe(640 * 480 * 3);
    }
  });

  it('gives the detector the same picture as the full frame, resized', async () => {
    for (const frame of splitFrames) {
      const full = yuv420ToRgb(frame.full);
      const resized = await sharp(full.data, { raw: { width: full.width, height: full.height, channels: 3 } })
        .resize(detectionSize.width, detectionSize.height, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      // Colour channels swapped or planes misread would differ by tens of levels.
      expect(difference(frame.detection.data, resized).mean).toBeLessThan(2);
    }
  });

  it('converts to the RGB pixels ffmpeg gives, within rounding', () => {
    for (const [i, frame] of splitFrames.entries()) {
      const { max, mean } = difference(yuv420ToRgb(frame.full).data, rgbFrames[i]!.image.data);
      expect(max).toBeLessThanOrEqual(2);
      expect(mean).toBeLessThan(0.5);
    }
  });

  it('converts only the region asked for, the same pixels as the whole frame there', () => {
    const frame = splitFrames[0]!.full;
    const whole = yuv420ToRgb(frame).data;
    const region = yuv420ToRgb(frame, { x1: 101, y1: 57, x2: 401, y2: 357 });
    expect(region).toMatchObject({ width: 300, height: 300 });
    for (const y of [0, 151, 299]) {
      const row = region.data.subarray(y * 300 * 3, (y + 1) * 300 * 3);
      const start = ((57 + y) * frame.width + 101) * 3;
      expect(row.equals(whole.subarray(start, start + 300 * 3))).toBe(true);
    }
  });
});
