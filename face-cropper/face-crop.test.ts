import type { RawImage } from '../common/raw-image';
import { cropFace, squareCropBox } from './face-crop';

describe('squareCropBox', () => {
  it('is a square around the box with the margin on each side of the longer side', () => {
    // 100x200 face centred at (500, 400); longer side 200, margin 0.25 → 300 square.
    expect(squareCropBox({ x1: 450, y1: 300, x2: 550, y2: 500 }, 0.25, 1920, 1080)).toEqual({ x1: 350, y1: 250, x2: 650, y2: 550 });
  });

  it('is the box itself for a square box and no margin', () => {
    expect(squareCropBox({ x1: 10, y1: 20, x2: 110, y2: 120 }, 0, 640, 480)).toEqual({ x1: 10, y1: 20, x2: 110, y2: 120 });
  });

  it('shifts inside the frame at the edges instead of shrinking', () => {
    expect(squareCropBox({ x1: 0, y1: 0, x2: 100, y2: 100 }, 0.5, 640, 480)).toEqual({ x1: 0, y1: 0, x2: 200, y2: 200 });
    expect(squareCropBox({ x1: 580, y1: 420, x2: 640, y2: 480 }, 0.5, 640, 480)).toEqual({ x1: 520, y1: 360, x2: 640, y2: 480 });
  });

  it('shrinks to the frame’s shorter side when the square would not fit', () => {
    const crop = squareCropBox({ x1: 100, y1: 0, x2: 500, y2: 480 }, 0.3, 640, 480);
    expect(crop).toEqual({ x1: 60, y1: 0, x2: 540, y2: 480 });
    // A box larger than the frame (centre (400, 400)): the largest square, shifted inside.
    const huge = squareCropBox({ x1: -100, y1: -100, x2: 900, y2: 900 }, 0.2, 640, 480);
    expect(huge).toEqual({ x1: 160, y1: 0, x2: 640, y2: 480 });
  });

  it('rounds to whole pixels', () => {
    const crop = squareCropBox({ x1: 10.4, y1: 20.6, x2: 60.1, y2: 70.2 }, 0.1, 640, 480);
    for (const v of Object.values(crop)) expect(Number.isInteger(v)).toBe(true);
    expect(crop.x2 - crop.x1).toBe(crop.y2 - crop.y1);
  });
});

describe('cropFace', () => {
  it('returns a size×size RGB image of the cropped region', async () => {
    // Left half red, right half blue; a crop inside the right half must come out blue.
    const width = 320;
    const height = 240;
    const data = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) data[3 * p + (p % width < width / 2 ? 0 : 2)] = 255;
    const frame: RawImage = { data, width, height, channels: 3 };

    const crop = await cropFace(frame, { x1: 200, y1: 50, x2: 260, y2: 110 }, { marginRatio: 0.2, size: 256 });
    expect(crop).toMatchObject({ width: 256, height: 256, channels: 3 });
    expect(crop.data.length).toBe(256 * 256 * 3);
    expect([...crop.data.subarray(0, 3)]).toEqual([0, 0, 255]);
  });
});
