import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { buildMesoNetModel, type MesoNetArchitecture } from './convert-mesonet';
import { type KerasWeightFile, readKerasWeights } from './keras-h5-reader';

/*
 * Checks the ONNX graphs against a naive channels-last re-implementation of the Keras
 * layers, written from the Keras documentation and independent of the graph builder.
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

/** Runs the converted graph on one image and returns its first block's output (NCHW, batch 1). */
async function onnxFirstBlock(file: KerasWeightFile, architecture: MesoNetArchitecture, face: FeatureMap): Promise<ort.Tensor> {
  const model = buildMesoNetModel(file, architecture, { exposeBlockOutputs: true });
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    const input = new ort.Tensor('float32', face.data, [1, SIZE, SIZE, 3]);
    const outputs = await session.run({ input }, ['block1']);
    return outputs['block1'];
  } finally {
    await session.release();
  }
}

function expectClose(actual: ort.Tensor, expected: FeatureMap): void {
  expect(actual.dims).toEqual([1, expected.channels, expected.height, expected.width]);
  const values = actual.data as Float32Array;
  let maxDifference = 0;
  for (let c = 0; c < expected.channels; c += 1) {
    for (let p = 0; p < expected.height * expected.width; p += 1) {
      const difference = Math.abs(values[c * expected.height * expected.width + p] - expected.data[p * expected.channels + c]);
      maxDifference = Math.max(maxDifference, difference);
    }
  }
  console.log(`block1 max |ONNX - reference| = ${maxDifference.toExponential(2)}`);
  expect(maxDifference).toBeLessThan(TOLERANCE);
}

async function readWeights(name: string): Promise<KerasWeightFile> {
  return readKerasWeights(new Uint8Array(await readFile(path.join(SHARED_DIR, 'weights', 'mesonet', name))));
}

describe('converted MesoNet graphs against a naive Keras re-implementation', () => {
  test('Meso4_DF block 1: Conv 8@3×3 + ReLU → BatchNorm → MaxPool 2', async () => {
    const file = await readWeights('Meso4_DF.h5');
    const face = await loadFace('df/df00204.jpg');

    // Layer names as written in Meso4_DF.h5 (its first Conv2D is conv2d_5).
    const expected = maxPoolSame(batchNorm(conv2dSameRelu(face, file, 'conv2d_5', 3), file, 'batch_normalization_5'), 2);

    expectClose(await onnxFirstBlock(file, 'meso4', face), expected);
  });

  test('Meso4_DF whole network: P(real) matches', async () => {
    const file = await readWeights('Meso4_DF.h5');
    const face = await loadFace('real/real00772.jpg');

    // Layer names as written in Meso4_DF.h5; kernels and pools from the README's Meso4.
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
    const hidden = dense(features.data, file, 'dense_3').map((value) => (value > 0 ? value : 0.1 * value));
    const expected = 1 / (1 + Math.exp(-dense(hidden, file, 'dense_4')[0]));

    const session = await ort.InferenceSession.create(buildMesoNetModel(file, 'meso4'), { logSeverityLevel: 3 });
    try {
      const { p_real: pReal } = await session.run({ input: new ort.Tensor('float32', face.data, [1, SIZE, SIZE, 3]) });
      const actual = (pReal.data as Float32Array)[0];
      console.log(`Meso4_DF P(real) of real00772.jpg: ONNX ${actual.toFixed(7)}, reference ${expected.toFixed(7)}`);
      expect(pReal.dims).toEqual([1, 1]);
      expect(Math.abs(actual - expected)).toBeLessThan(TOLERANCE);
    } finally {
      await session.release();
    }
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

    expectClose(await onnxFirstBlock(file, 'mesoinception4', face), expected);
  });
});
