import { execFileSync } from 'node:child_process';
import type { Yuv420Image, YuvMatrix } from './raw-image';
import { yuv420ToRgb } from './yuv-to-rgb';

/** A 64×48 YUV 4:2:0 frame: a luma ramp, chroma varying by block. */
function testFrame(width = 64, height = 48): Yuv420Image {
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const data = Buffer.alloc(width * height + 2 * chromaWidth * chromaHeight);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 16 + ((x * 3 + y * 2) % 220);
  for (let i = 0; i < chromaWidth * chromaHeight; i++) {
    data[width * height + i] = 128 + ((i * 7) % 60) - 30;
    data[width * height + chromaWidth * chromaHeight + i] = 128 + ((i * 11) % 50) - 25;
  }
  return { data, width, height, format: 'yuv420p' };
}

describe('yuv420ToRgb', () => {
  it('maps limited-range black, white and grey to RGB black, white and grey', () => {
    const frame = testFrame(2, 2);
    frame.data.fill(128, 4);
    for (const [luma, rgb] of [[16, 0], [235, 255], [126, 128]] as const) {
      frame.data.fill(luma, 0, 4);
      for (const value of yuv420ToRgb(frame).data) expect(Math.abs(value - rgb)).toBeLessThanOrEqual(1);
    }
  });

  it('shares each chroma sample across its 2×2 block', () => {
    const frame = testFrame();
    frame.data.fill(100, 0, 64 * 48);
    const rgb = yuv420ToRgb(frame, { x1: 0, y1: 0, x2: 2, y2: 2 }).data;
    expect(rgb.subarray(0, 3)).toEqual(rgb.subarray(3, 6));
    expect(rgb.subarray(0, 3)).toEqual(rgb.subarray(6, 9));
  });

  it.each<[YuvMatrix, string[]]>([
    ['bt601', []],
    ['bt709', ['setparams=colorspace=bt709:range=tv']],
  ])('gives the RGB that ffmpeg gives for %s, to a level or two, across the whole limited range', (matrix, tag) => {
    // Random samples, so that saturated colours are tested as well as skin tones.
    const width = 256;
    const height = 144;
    const frame = testFrame(width, height);
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < width * height; i++) frame.data[i] = 16 + (random() % 220);
    for (let i = width * height; i < frame.data.length; i++) frame.data[i] = 16 + (random() % 225);
    const ffmpeg = execFileSync(
      'ffmpeg',
      ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-i', 'pipe:0', '-vf', [...tag, 'format=rgb24'].join(','), '-f', 'rawvideo', 'pipe:1'],
      { input: frame.data },
    );
    const ours = yuv420ToRgb({ ...frame, matrix }).data;
    expect(ours).toHaveLength(ffmpeg.length);
    const differences = ours.map((value, i) => Math.abs(value - ffmpeg[i]!));
    expect(Math.max(...differences)).toBeLessThanOrEqual(2);
    expect(differences.filter((d) => d <= 1).length).toBeGreaterThanOrEqual(0.999 * ours.length);
  });

  it('rejects a region outside the frame and data of the wrong size', () => {
    expect(() => yuv420ToRgb(testFrame(), { x1: 10, y1: 10, x2: 65, y2: 20 })).toThrow(RangeError);
    expect(() => yuv420ToRgb({ ...testFrame(), data: Buffer.alloc(10) })).toThrow(/expected 4608/);
  });
});
