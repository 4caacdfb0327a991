import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { buildMesoNetModel, convertMesoNetH5, type MesoNetArchitecture } from './convert-mesonet';
import { type KerasWeightFile, readKerasWeights } from './keras-h5-reader';

/*
 * Checks the ONNX graphs against a naive channels-last re-implementation of the Keras
 * layers, written from the Keras documentation and independent of the graph builder:
 * the first block of each architecture, and the whole network of all four weight files
 * (DF and F2F), converted the way the fetcher converts them.
 */

const SHARED_DIR = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared');
const SIZE = 256;
const TOLERANCE = 1e-4;

/** A channels-last (HWC) feature map of one image. */
interface FeatureMap {
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
}

function weight(file: KerasWeightFile, layerName: string, name: string): Float32Array {
  const values = file.layers.find((layer) => layer.name === layerName)?.weights.get(name)?.values;
  if (values === undefined) throw new Error(`no ${layerName}/${name}`);
  return values;
}

/** Keras Conv2D(padding='same', activation='relu'), stride 1, kernel HWIO. */
function conv2dSameRelu(x: FeatureMap, file: KerasWeightFile, layer: string, k: number, dilation = 1): FeatureMap {
  const kernel = weight(file, layer, 'kernel');
  const bias = weight(file, layer, 'bias');
  const filters = bias.length;
  const pad = Math.floor((dilation * (k - 1)) / 2);
  const out = new Float32Array(x.height * x.width * filters);
  for (let y = 0; y < x.height; y += 1) {
    for (let xx = 0; xx < x.width; xx += 1) {
      for (let o = 0; o < filters; o += 1) {
        let sum = bias[o];
        for (let ky = 0; ky < k; ky += 1) {
          const iy = y + ky * dilation - pad;
          if (iy < 0 || iy >= x.height) continue;
          for (let kx = 0; kx < k; kx += 1) {
            const ix = xx + kx * dilation - pad;
            if (ix < 0 || ix >= x.width) continue;
            for (let i = 0; i < x.channels; i += 1) {
              sum += x.data[(iy * x.width + ix) * x.channels + i] * kernel[((ky * k + kx) * x.channels + i) * filters + o];
            }
          }
        }
        out[(y * x.width + xx) * filters + o] = Math.max(0, sum);
      }
    }
  }
  return { height: x.height, width: x.width, channels: filters, data: out };
}

/** Keras BatchNormalization at inference, epsilon 1e-3. */
function batchNorm(x: FeatureMap, file: KerasWeightFile, layer: string): FeatureMap {
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weight(file, layer, n));
  const data = x.data.map((value, index) => {
    const c = index % x.channels;
    return ((value - mean[c]) / Math.sqrt(variance[c] + 0.001)) * gamma[c] + beta[c];
  });
  return { ...x, data };
}

/** Keras MaxPooling2D(pool, padding='same'): TensorFlow pads the end, padded cells never win. */
function maxPoolSame(x: FeatureMap, pool: number): FeatureMap {
  const height = Math.ceil(x.height / pool);
  const width = Math.ceil(x.width / pool);
  const padTop = Math.floor(((height - 1) * pool + pool - x.height) / 2);
  const padLeft = Math.floor(((width - 1) * pool + pool - x.width) / 2);
  const data = new Float32Array(height * width * x.channels).fill(-Infinity);
  for (let y = 0; y < height; y += 1) {
    for (let xx = 0; xx < width; xx += 1) {
      for (let py = 0; py < pool; py += 1) {
        for (let px = 0; px < pool; px += 1) {
          const iy = y * pool + py - padTop;
          const ix = xx * pool + px - padLeft;
          if (iy < 0 || iy >= x.height || ix < 0 || ix >= x.width) continue;
          for (let c = 0; c < x.channels; c += 1) {
            const index = (y * width + xx) * x.channels + c;
            data[index] = Math.max(data[index], x.data[(iy * x.width + ix) * x.channels + c]);
          }
        }
      }
    }
  }
  return { height, width, channels: x.channels, data };
}

function concatChannels(maps: FeatureMap[]): FeatureMap {
  const channels = maps.reduce((sum, map) => sum + map.channels, 0);
  const { height, width } = maps[0];
  const data = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p += 1) {
    let offset = 0;
    for (const map of maps) {
      data.set(map.data.subarray(p * map.channels, (p + 1) * map.channels), p * channels + offset);
      offset += map.channels;
    }
  }
  return { height, width, channels, data };
}

/** Keras Dense on a flattened channels-last map (order H, W, C), kernel [in, out]. */
function dense(input: Float32Array, file: KerasWeightFile, layer: string): Float32Array {
  const kernel = weight(file, layer, 'kernel');
  const bias = weight(file, layer, 'bias');
  return bias.map((b, o) => input.reduce((sum, value, i) => sum + value * kernel[i * bias.length + o], b));
}

async function loadFace(file: string): Promise<FeatureMap> {
  const { data } = await sharp(path.join(SHARED_DIR, 'faces', file))
    .removeAlpha()
    .toColourspace('srgb')
    .resize(SIZE, SIZE, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { height: SIZE, width: SIZE, channels: 3, data: Float32Array.from(data, (value) => value / 255) };
}

/** Runs the converted graph on one image and returns a block's output (NCHW, batch 1). */
async function onnxBlock(file: KerasWeightFile, architecture: MesoNetArchitecture, face: FeatureMap, block = 'block1'): Promise<ort.Tensor> {
  const model = buildMesoNetModel(file, architecture, { exposeBlockOutputs: true });
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    const input = new ort.Tensor('float32', face.data, [1, SIZE, SIZE, 3]);
    const outputs = await session.run({ input }, [block]);
    return outputs[block];
  } finally {
    await session.release();
  }
}

function expectClose(actual: ort.Tensor, expected: FeatureMap, block = 'block1'): void {
  expect(actual.dims).toEqual([1, expected.channels, expected.height, expected.width]);
  const values = actual.data as Float32Array;
  let maxDifference = 0;
  for (let c = 0; c < expected.channels; c += 1) {
    for (let p = 0; p < expected.height * expected.width; p += 1) {
      const difference = Math.abs(values[c * expected.height * expected.width + p] - expected.data[p * expected.channels + c]);
      maxDifference = Math.max(maxDifference, difference);
    }
  }
  console.log(`${block} max |ONNX - reference| = ${maxDifference.toExponential(2)}`);
  expect(maxDifference).toBeLessThan(TOLERANCE);
}

function weightsPath(name: string): string {
  return path.join(SHARED_DIR, 'weights', 'mesonet', name);
}

async function readWeights(name: string): Promise<KerasWeightFile> {
  return readKerasWeights(new Uint8Array(await readFile(weightsPath(name))));
}

/** The shared head: Flatten → Dense(16) → LeakyReLU(0.1) → Dense(1, sigmoid) = P(real). */
function denseHead(features: FeatureMap, file: KerasWeightFile, hiddenLayer: string, outputLayer: string): number {
  const hidden = dense(features.data, file, hiddenLayer).map((value) => (value > 0 ? value : 0.1 * value));
  return 1 / (1 + Math.exp(-dense(hidden, file, outputLayer)[0]));
}

/** Runs the converted model on one face and compares its P(real) with the reference's. */
async function expectSameProbability(model: Uint8Array, face: FeatureMap, expected: number, weights: string, faceFile: string): Promise<void> {
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    const { p_real: pReal } = await session.run({ input: new ort.Tensor('float32', face.data, [1, SIZE, SIZE, 3]) });
    const actual = (pReal.data as Float32Array)[0];
    console.log(`${weights} P(real) of ${faceFile}: ONNX ${actual.toFixed(7)}, reference ${expected.toFixed(7)}`);
    expect(pReal.dims).toEqual([1, 1]);
    expect(Math.abs(actual - expected)).toBeLessThan(TOLERANCE);
  } finally {
    await session.release();
  }
}

describe('converted MesoNet graphs against a naive Keras re-implementation', () => {
  test('Meso4_DF block 1: Conv 8@3×3 + ReLU → BatchNorm → MaxPool 2', async () => {
    const file = await readWeights('Meso4_DF.h5');
    const face = await loadFace('df/df00204.jpg');

    // Layer names as written in Meso4_DF.h5 (its first Conv2D is conv2d_5).
    const expected = maxPoolSame(batchNorm(conv2dSameRelu(face, file, 'conv2d_5', 3), file, 'batch_normalization_5'), 2);

    expectClose(await onnxBlock(file, 'meso4', face), expected);
  });

  test.each([
    ['Meso4_DF.h5', 'real/real00772.jpg'],
    ['Meso4_F2F.h5', 'df/df01254.jpg'],
  ])('%s whole network: P(real) of %s matches', async (weights, faceFile) => {
    const file = await readWeights(weights);
    const face = await loadFace(faceFile);

    // Layer names as written in both Meso4 files; kernels and pools from the README's Meso4.
    const blocks = [
      { conv: 'conv2d_5', batchNorm: 'batch_normalization_5', kernel: 3, pool: 2 },
      { conv: 'conv2d_6', batchNorm: 'batch_normalization_6', kernel: 5, pool: 2 },
      { conv: 'conv2d_7', batchNorm: 'batch_normalization_7', kernel: 5, pool: 2 },
      { conv: 'conv2d_8', batchNorm: 'batch_normalization_8', kernel: 5, pool: 4 },
    ];
    const features = blocks.reduce(
      (x, block) => maxPoolSame(batchNorm(conv2dSameRelu(x, file, block.conv, block.kernel), file, block.batchNorm), block.pool),
      face,
    );
    // The last block's features too: a probability near 0 or 1 would hide a difference.
    expectClose(await onnxBlock(file, 'meso4', face, 'block4'), features, 'block4');
    const expected = denseHead(features, file, 'dense_3', 'dense_4');

    await expectSameProbability(await convertMesoNetH5(await readFile(weightsPath(weights)), 'meso4'), face, expected, weights, faceFile);
  });

  test.each([
    ['MesoInception_DF.h5', 'df/df01254.jpg'],
    ['MesoInception_F2F.h5', 'df/df00204.jpg'],
  ])('%s whole network: P(real) of %s matches', async (weights, faceFile) => {
    const file = await readWeights(weights);
    const face = await loadFace(faceFile);

    // Creation order in both MesoInception files: block 1 is conv2d_1..7 (a; b 1×1 → 3×3;
    // c 1×1 → 3×3 dilation 2; d 1×1 → 3×3 dilation 3), block 2 conv2d_8..14 likewise.
    const inception = (x: FeatureMap, first: number, batchNormLayer: string) =>
      maxPoolSame(
        batchNorm(
          concatChannels([
            conv2dSameRelu(x, file, `conv2d_${first}`, 1),
            conv2dSameRelu(conv2dSameRelu(x, file, `conv2d_${first + 1}`, 1), file, `conv2d_${first + 2}`, 3),
            conv2dSameRelu(conv2dSameRelu(x, file, `conv2d_${first + 3}`, 1), file, `conv2d_${first + 4}`, 3, 2),
            conv2dSameRelu(conv2dSameRelu(x, file, `conv2d_${first + 5}`, 1), file, `conv2d_${first + 6}`, 3, 3),
          ]),
          file,
          batchNormLayer,
        ),
        2,
      );
    const block2 = inception(inception(face, 1, 'batch_normalization_1'), 8, 'batch_normalization_2');
    const block3 = maxPoolSame(batchNorm(conv2dSameRelu(block2, file, 'conv2d_15', 5), file, 'batch_normalization_3'), 2);
    const block4 = maxPoolSame(batchNorm(conv2dSameRelu(block3, file, 'conv2d_16', 5), file, 'batch_normalization_4'), 4);
    expectClose(await onnxBlock(file, 'mesoinception4', face, 'block4'), block4, 'block4');
    const expected = denseHead(block4, file, 'dense_1', 'dense_2');

    await expectSameProbability(await convertMesoNetH5(await readFile(weightsPath(weights)), 'mesoinception4'), face, expected, weights, faceFile);
  });

  test('MesoInception_DF block 1: Inception(1, 4, 4, 2) → BatchNorm → MaxPool 2', async () => {
    const file = await readWeights('MesoInception_DF.h5');
    const face = await loadFace('real/real00240.jpg');

    // Creation order in MesoInception_DF.h5: conv2d_1 = a, 2-3 = b, 4-5 = c (dilation 2), 6-7 = d (dilation 3).
    const inception = concatChannels([
      conv2dSameRelu(face, file, 'conv2d_1', 1),
      conv2dSameRelu(conv2dSameRelu(face, file, 'conv2d_2', 1), file, 'conv2d_3', 3),
      conv2dSameRelu(conv2dSameRelu(face, file, 'conv2d_4', 1), file, 'conv2d_5', 3, 2),
      conv2dSameRelu(conv2dSameRelu(face, file, 'conv2d_6', 1), file, 'conv2d_7', 3, 3),
    ]);
    const expected = maxPoolSame(batchNorm(inception, file, 'batch_normalization_1'), 2);

    expectClose(await onnxBlock(file, 'mesoinception4', face), expected);
  });
});
