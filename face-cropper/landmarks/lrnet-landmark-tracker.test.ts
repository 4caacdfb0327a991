import type { RawImage } from '../../common/raw-image';
import { planFaces, type FrameShape } from './lrnet-face-plan';
import { LrnetLandmarkTracker } from './lrnet-landmark-tracker';
import { loadOpenCv } from './opencv';

const WIDTH = 320;
const HEIGHT = 240;
const FRAMES = 40;

/** A pseudo-random generator, so the test is the same every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

/** A texture of 3×3-pixel blocks, shifted `dx` pixels to the right. */
function frameAt(texture: Uint8Array, dx: number): RawImage {
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      const value = texture[Math.floor(y / 3) * WIDTH + Math.floor(Math.max(0, x - dx) / 3)]!;
      data.fill(value, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
    }
  }
  return { data, width: WIDTH, height: HEIGHT, channels: 3 };
}

describe('LrnetLandmarkTracker (upstream LRNet Lucas–Kanade and Kalman calibration)', () => {
  it('follows the true motion of a moving face more closely than jittery per-frame detections', async () => {
    const { cv } = await loadOpenCv();
    const next = random(7);
    const texture = Uint8Array.from({ length: WIDTH * HEIGHT }, () => Math.floor(next() * 256));
    const truePoints = Array.from({ length: 68 }, () => [110 + next() * 100, 70 + next() * 100] as const);
    // The face moves one pixel right per frame; the detector adds up to ±2 px of noise.
    const truth: FrameShape[] = [];
    const detections: FrameShape[] = [];
    for (let frame = 0; frame < FRAMES; frame += 1) {
      const exact = new Int32Array(136);
      const noisy = new Int32Array(136);
      truePoints.forEach(([x, y], p) => {
        exact[2 * p] = Math.round(x + frame);
        exact[2 * p + 1] = Math.round(y);
        noisy[2 * p] = exact[2 * p]! + Math.round((next() - 0.5) * 4);
        noisy[2 * p + 1] = exact[2 * p + 1]! + Math.round((next() - 0.5) * 4);
      });
      truth.push(exact);
      detections.push(noisy);
    }
    const plan = planFaces(detections, WIDTH, HEIGHT)!;
    const tracker = new LrnetLandmarkTracker(cv, plan);
    try {
      for (let frame = 0; frame < FRAMES; frame += 1) tracker.push(frameAt(texture, frame));
      const calibrated = tracker.result();
      expect(calibrated).toHaveLength(FRAMES * 136);
      let detectionError = 0;
      let calibratedError = 0;
      for (let frame = 1; frame < FRAMES; frame += 1) {
        const { x1, y1, size } = plan.boxes[frame]!;
        const scale = 400 / size;
        for (let i = 0; i < 136; i += 1) {
          const exact = ((truth[frame]![i]! - (i % 2 === 0 ? x1 : y1)) * scale - 200) / 200;
          detectionError += Math.abs((plan.locations[frame]![i]! - 200) / 200 - exact);
          calibratedError += Math.abs(calibrated[frame * 136 + i]! - exact);
        }
      }
      const count = (FRAMES - 1) * 136;
      console.log(`mean |error| per coordinate: detections ${(detectionError / count).toFixed(4)}, calibrated ${(calibratedError / count).toFixed(4)}`);
      expect(calibratedError).toBeLessThan(0.8 * detectionError);
    } finally {
      tracker.close();
    }
  });
});
