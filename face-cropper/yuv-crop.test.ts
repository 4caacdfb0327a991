import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { RawImage, Yuv420Image } from '../common/raw-image';
import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { sharedDir } from '../test/video-fixtures';
import { cropFace, cropFaceFromYuv, cropPlanesFromYuv } from './face-crop';

/** A 64×48 YUV 4:2:0 frame: diagonal luma stripes, chroma varying by row. */
function testFrame(width = 64, height = 48): Yuv420Image {
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const data = Buffer.alloc(width * height + 2 * chromaWidth * chromaHeight, 128);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 16 + (((x + y) * 9) % 220);
  for (let row = 0; row < chromaHeight; row++) data.fill(100 + row, width * height + row * chromaWidth, width * height + (row + 1) * chromaWidth);
  return { data, width, height, format: 'yuv420p' };
}

describe('cropFaceFromYuv', () => {
  it('is the crop cropFace cuts from the frame converted whole, but for the chroma resized at half resolution', async () => {
    const video = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
    const frame: Yuv420Image = {
      data: execFileSync('ffmpeg', ['-v', 'error', '-ss', '4', '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { maxBuffer: 64 << 20 }),
      width: 1920,
      height: 1080,
      format: 'yuv420p',
    };
    const face = { x1: 815.3, y1: 173.1, x2: 1061.7, y2: 469.2 }; // the speaker's face, as UltraFace finds it
    const options = { marginRatio: 0.2, size: 256 };
    const difference = (a: RawImage, b: RawImage) => {
      let max = 0;
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) {
        const d = Math.abs(a.data[i]! - b.data[i]!);
        max = Math.max(max, d);
        sum += d;
      }
      return { max, mean: sum / a.data.length };
    };
    const crop = await cropFaceFromYuv(frame, face, options);
    expect(crop).toMatchObject({ width: 256, height: 256, channels: 3 });
    const colour = difference(crop, await cropFace(yuv420ToRgb(frame), face, options));
    expect(colour.mean).toBeLessThan(1);
    expect(colour.max).toBeLessThanOrEqual(16);
    // Without colour, only the rounding differs.
    const grey: Yuv420Image = { ...frame, data: Buffer.from(frame.data).fill(128, 1920 * 1080) };
    expect(difference(await cropFaceFromYuv(grey, face, options), await cropFace(yuv420ToRgb(grey), face, options)).max).toBeLessThanOrEqual(2);
  });

  it('cuts planes of the crop size, the chroma at half of it rounded up, wherever the square starts', async () => {
    const frame = testFrame();
    for (const [box, size] of [[{ x1: 20.4, y1: 10.2, x2: 40.7, y2: 34.9 }, 16], [{ x1: 21, y1: 11, x2: 38, y2: 30 }, 15]] as const) {
      const planes = await cropPlanesFromYuv(frame, box, { marginRatio: 0.2, size });
      expect(planes).toMatchObject({ width: size, height: size, format: 'yuv420p' });
      expect(planes.data).toHaveLength(size * size + 2 * Math.ceil(size / 2) ** 2);
      expect((await cropFaceFromYuv(frame, box, { marginRatio: 0.2, size })).data.equals(yuv420ToRgb(planes).data)).toBe(true);
    }
  });
});
