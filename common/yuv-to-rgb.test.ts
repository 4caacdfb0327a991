import type { Yuv420Image } from './raw-image';
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

  it('rejects a region outside the frame and data of the wrong size', () => {
    expect(() => yuv420ToRgb(testFrame(), { x1: 10, y1: 10, x2: 65, y2: 20 })).toThrow(RangeError);
    expect(() => yuv420ToRgb({ ...testFrame(), data: Buffer.alloc(10) })).toThrow(/expected 4608/);
  });
});
