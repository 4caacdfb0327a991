import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { landmarkBlocks, LRNET_BLOCK_FRAMES } from '../../../detector-workers/landmark-blocks';
import { parseLandmarkText } from '../../../detector-workers/landmark-sequence';
import { convertLrnetCheckpoints, LrnetConversionError, readLrnetWeights, referenceBlockScores } from './index';

const SHARED_DIR = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared');
const VIDEOS = [
  { name: 'lrnet_ff_real', fake: false },
  { name: 'lrnet_ff_fake', fake: true },
  { name: 'lrnet_dfo_real', fake: false },
  { name: 'lrnet_dfo_fake', fake: true },
];

async function checkpoints(weightSet: string): Promise<[Uint8Array, Uint8Array]> {
  const read = async (stream: string): Promise<Uint8Array> =>
    new Uint8Array(await readFile(path.join(SHARED_DIR, 'weights', 'lrnet', weightSet, `${stream}.pth`)));
  return [await read('g1'), await read('g2')];
}

async function blocksOf(video: string): Promise<Float32Array[]> {
  const file = path.join(SHARED_DIR, 'lrnet-landmarks', `${video}.txt`);
  return landmarkBlocks(parseLandmarkText(await readFile(file, 'utf8'), file));
}

describe('convertLrnetCheckpoints', () => {
  test.each(['dfo', 'ffpp'])(
    'the ONNX graph of the %s weights reproduces the plain forward pass on upstream landmarks and ranks fakes above reals',
    async (weightSet) => {
      const [g1, g2] = await checkpoints(weightSet);
      const weights = readLrnetWeights(g1, g2);
      const session = await ort.InferenceSession.create(convertLrnetCheckpoints(g1, g2, weightSet), { logSeverityLevel: 3 });
      try {
        expect(session.inputNames).toEqual(['landmarks']);
        const means = new Map<string, number>();
        let largestDifference = 0;
        let largestFromExact = 0;
        let float32Noise = 0;
        for (const { name } of VIDEOS) {
          const blocks = await blocksOf(name);
          expect(blocks.length).toBeGreaterThan(5);
          const batch = new Float32Array(blocks.length * blocks[0]!.length);
          blocks.forEach((block, index) => batch.set(block, index * block.length));
          const feeds = { landmarks: new ort.Tensor('float32', batch, [blocks.length, LRNET_BLOCK_FRAMES, 136]) };
          const outputs = await session.run(feeds);
          const onnx = { score: outputs.p_fake!.data as Float32Array, g1: outputs.p_fake_g1!.data as Float32Array, g2: outputs.p_fake_g2!.data as Float32Array };
          expect(onnx.score.length).toBe(blocks.length);
          blocks.forEach((block, index) => {
            const reference = referenceBlockScores(weights, block, LRNET_BLOCK_FRAMES, 'float32');
            const exact = referenceBlockScores(weights, block, LRNET_BLOCK_FRAMES, 'float64');
            for (const key of ['score', 'g1', 'g2'] as const) {
              largestDifference = Math.max(largestDifference, Math.abs(onnx[key][index]! - reference[key]));
              largestFromExact = Math.max(largestFromExact, Math.abs(onnx[key][index]! - exact[key]));
              float32Noise = Math.max(float32Noise, Math.abs(reference[key] - exact[key]));
            }
          });
          means.set(name, onnx.score.reduce((sum, score) => sum + score, 0) / onnx.score.length);
        }
        console.log(
          `LRNet ${weightSet}: largest |ONNX − float32 reference| ${largestDifference.toExponential(2)}, ` +
            `|ONNX − float64 reference| ${largestFromExact.toExponential(2)}, ` +
            `|float32 − float64 reference| ${float32Noise.toExponential(2)}; mean block score ` +
            VIDEOS.map(({ name }) => `${name}=${means.get(name)!.toFixed(4)}`).join(', '),
        );
        // To 1e-5, or, where the model's own float32 rounding moves a score by more than that
        // (ffpp: the float32 and float64 passes differ by 3e-5), to within that rounding.
        const tolerance = Math.max(1e-5, 1.5 * float32Noise);
        expect(largestDifference).toBeLessThan(tolerance);
        expect(largestFromExact).toBeLessThan(tolerance);
        const lowestFake = Math.min(...VIDEOS.filter((video) => video.fake).map(({ name }) => means.get(name)!));
        const highestReal = Math.max(...VIDEOS.filter((video) => !video.fake).map(({ name }) => means.get(name)!));
        expect(lowestFake).toBeGreaterThan(highestReal);
      } finally {
        await session.release();
      }
    },
  );

  test('rejects a file that is not a checkpoint with INVALID_ZIP', async () => {
    const [g1] = await checkpoints('dfo');
    expect(() => convertLrnetCheckpoints(g1, new TextEncoder().encode('not a zip'), 'dfo')).toThrow(
      expect.objectContaining({ name: 'LrnetConversionError', code: 'INVALID_ZIP' }),
    );
  });

  test('rejects another network\'s checkpoint with UNEXPECTED_WEIGHTS', async () => {
    const [g1] = await checkpoints('dfo');
    // A checkpoint whose tensors are renamed is some other model: the reader must say so.
    const renamed = Buffer.from(g1);
    const at = renamed.indexOf('dense.3.weight');
    renamed.write('dense.9', at);
    const conversion = (): Uint8Array => convertLrnetCheckpoints(new Uint8Array(renamed), g1, 'dfo');
    expect(conversion).toThrow(LrnetConversionError);
    expect(conversion).toThrow(expect.objectContaining({ code: 'UNEXPECTED_WEIGHTS' }));
  });
});
