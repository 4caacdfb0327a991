import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { convertFaceApiLandmarks, FaceApiConversionError } from './index';

const SHARED_DIR = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared');
const WEIGHTS = path.join(SHARED_DIR, 'weights', 'faceapi');
const FACES = ['df/df00204.jpg', 'df/df01254.jpg', 'real/real00240.jpg', 'real/real00772.jpg'];
/** face-api's input normalisation (FaceFeatureExtractor.forwardInput): RGB minus this mean, / 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];

async function weightFiles(): Promise<[Uint8Array, Uint8Array]> {
  return [
    new Uint8Array(await readFile(path.join(WEIGHTS, 'face_landmark_68_model-weights_manifest.json'))),
    new Uint8Array(await readFile(path.join(WEIGHTS, 'face_landmark_68_model.bin'))),
  ];
}

type Point = [number, number];

describe('convertFaceApiLandmarks', () => {
  it('places the 68 points of each test face where a face has them', async () => {
    const session = await ort.InferenceSession.create(convertFaceApiLandmarks(...(await weightFiles())), { logSeverityLevel: 3 });
    try {
      for (const face of FACES) {
        const { data } = await sharp(path.join(SHARED_DIR, 'faces', face)).removeAlpha().resize(112, 112, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
        const input = Float32Array.from(data, (value, index) => (value - MEAN_RGB[index % 3]!) / 255);
        const { landmarks } = await session.run({ input: new ort.Tensor('float32', input, [1, 112, 112, 3]) });
        const values = landmarks!.data as Float32Array;
        expect(values).toHaveLength(136);
        const points: Point[] = Array.from({ length: 68 }, (_, i) => [values[2 * i]!, values[2 * i + 1]!]);
        const mean = (indices: number[]): Point => [
          indices.reduce((sum, i) => sum + points[i]![0], 0) / indices.length,
          indices.reduce((sum, i) => sum + points[i]![1], 0) / indices.length,
        ];
        const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
        for (const [x, y] of points) {
          expect(x).toBeGreaterThan(0);
          expect(x).toBeLessThan(1);
          expect(y).toBeGreaterThan(0);
          expect(y).toBeLessThan(1);
        }
        // iBUG 300-W order: jaw 0–16 from the image's left to right, chin 8 lowest of the jaw;
        // right eye 36–41 left of the left eye 42–47; eyes above the nose tip 30, above the mouth 48–67.
        expect(points[0]![0]).toBeLessThan(points[8]![0]);
        expect(points[8]![0]).toBeLessThan(points[16]![0]);
        expect(points[8]![1]).toBeGreaterThan(mean(range(48, 67))[1]);
        const [rightEye, leftEye] = [mean(range(36, 41)), mean(range(42, 47))];
        expect(rightEye[0]).toBeLessThan(leftEye[0]);
        expect(Math.max(rightEye[1], leftEye[1])).toBeLessThan(points[30]![1]);
        expect(points[30]![1]).toBeLessThan(mean(range(48, 67))[1]);
      }
    } finally {
      await session.release();
    }
  });

  it('rejects a weights file that does not match its manifest', async () => {
    const [manifest, shard] = await weightFiles();
    expect(() => convertFaceApiLandmarks(manifest, shard.subarray(0, 1000))).toThrow(FaceApiConversionError);
    expect(() => convertFaceApiLandmarks(new TextEncoder().encode('{'), shard)).toThrow(expect.objectContaining({ code: 'INVALID_WEIGHTS_MANIFEST' }));
  });
});
