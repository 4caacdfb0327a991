import { execFileSync } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import { yuv420Planes, type RawImage, type Yuv420Image } from '../common/raw-image';
import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { sharedDir } from '../test/video-fixtures';
import { cropFace, cropFaceFromYuv, cropPlanesFromYuv, squareCropBox } from './face-crop';

/** A 64×48 YUV 4:2:0 frame: diagonal luma stripes, chroma varying by row. */
function testFrame(width = 64, height = 48): Yuv420Image {
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const data = Buffer.alloc(width * height + 2 * chromaWidth * chromaHeight, 128);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 16 + (((x + y) * 9) % 220);
  for (let row = 0; row < chromaHeight; row++) data.fill(100 + row, width * height + row * chromaWidth, width * height + (row + 1) * chromaWidth);
  return { data, width, height, format: 'yuv420p' };
}

/** The 1080p sample video's frame at `seconds`, decoded by ffmpeg. */
function sampleVideoFrame(seconds: number): Yuv420Image {
  const video = path.join(sharedDir(), 'videos', 'interview_1080p.mp4');
  const args = ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'];
  return { data: execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 }), width: 1920, height: 1080, format: 'yuv420p' };
}

describe('cropFaceFromYuv', () => {
  it('is the crop cropFace cuts from the frame converted whole, but for the chroma resized at half resolution', async () => {
    const frame = sampleVideoFrame(4);
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

  it('resizes each plane of the square on its own, with the Lanczos-3 of sharp, to the last bit', async () => {
    const frame = sampleVideoFrame(6);
    // Each plane's region resized alone: what a crop's planes are.
    const planeAlone = async (plane: number, region: sharp.Region, side: number) => {
      const { start, width, height } = yuv420Planes(1920, 1080)[plane]!;
      return sharp(frame.data.subarray(start, start + width * height), { raw: { width, height, channels: 1 } })
        .extract(region).resize(side, side, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer();
    };
    const boxes = [{ x1: 815.3, y1: 173.1, x2: 1061.7, y2: 469.2 }, { x1: 101, y1: 77, x2: 180, y2: 170 }, { x1: 1800, y1: 990, x2: 1919, y2: 1079 }];
    for (const [box, size] of [[boxes[0], 256], [boxes[1], 255], [boxes[2], 64]] as const) {
      const planes = await cropPlanesFromYuv(frame, box, { marginRatio: 0.2, size });
      const square = squareCropBox(box, 0.2, 1920, 1080);
      const left = square.x1 >> 1;
      const top = square.y1 >> 1;
      const chroma = { left, top, width: Math.ceil(square.x2 / 2) - left, height: Math.ceil(square.y2 / 2) - top };
      const luma = { left: square.x1, top: square.y1, width: square.x2 - square.x1, height: square.y2 - square.y1 };
      const half = Math.ceil(size / 2);
      const expected = Buffer.concat([await planeAlone(0, luma, size), await planeAlone(1, chroma, half), await planeAlone(2, chroma, half)]);
      expect(planes.data.equals(expected)).toBe(true);
    }
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
