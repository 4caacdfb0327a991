import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { convertMesoNetH5, MesoNetConversionError, type MesoNetArchitecture } from './index';

const SHARED_DIR = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared');
const INPUT_SIZE = 256;
const FACES = [
  { file: 'df/df00204.jpg', real: false },
  { file: 'df/df01254.jpg', real: false },
  { file: 'real/real00240.jpg', real: true },
  { file: 'real/real00772.jpg', real: true },
];

/** MesoNet preprocessing: RGB, resized to 256×256, scaled to [0, 1], NHWC. */
async function loadFace(file: string): Promise<Float32Array> {
  const { data, info } = await sharp(path.join(SHARED_DIR, 'faces', file))
    .removeAlpha()
    .toColourspace('srgb')
    .resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return Float32Array.from(data, (value) => value / 255);
}

async function convert(weightFile: string, architecture: MesoNetArchitecture): Promise<Uint8Array> {
  const h5 = await readFile(path.join(SHARED_DIR, 'weights', 'mesonet', weightFile));
  return convertMesoNetH5(new Uint8Array(h5), architecture);
}

async function scoreFaces(model: Uint8Array): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['p_real']);
    const faces = await Promise.all(FACES.map(({ file }) => loadFace(file)));
    const batch = new Float32Array(faces.length * INPUT_SIZE * INPUT_SIZE * 3);
    faces.forEach((face, index) => batch.set(face, index * face.length));
    const input = new ort.Tensor('float32', batch, [faces.length, INPUT_SIZE, INPUT_SIZE, 3]);
    const { p_real: pReal } = await session.run({ input });
    return pReal;
  } finally {
    await session.release();
  }
}

describe('convertMesoNetH5', () => {
  test.each([
    ['Meso4_DF.h5', 'meso4'],
    ['MesoInception_DF.h5', 'mesoinception4'],
  ] as const)('%s separates the deepfake faces from the real ones', async (weightFile, architecture) => {
    const pReal = await scoreFaces(await convert(weightFile, architecture));

    expect(pReal.dims).toEqual([FACES.length, 1]);
    const scores = Array.from(pReal.data as Float32Array);
    console.log(`${weightFile} P(real): ${FACES.map(({ file }, i) => `${file}=${scores[i].toFixed(6)}`).join(', ')}`);
    FACES.forEach(({ real }, index) => {
      if (real) expect(scores[index]).toBeGreaterThan(0.5);
      else expect(scores[index]).toBeLessThan(0.5);
    });
  });

  // Their values are checked against an independent re-implementation in mesonet-reference.test.ts.
  test.each([
    ['Meso4_F2F.h5', 'meso4'],
    ['MesoInception_F2F.h5', 'mesoinception4'],
  ] as const)('%s scores a batch of faces as it scores each face alone', async (weightFile, architecture) => {
    const model = await convert(weightFile, architecture);
    const pReal = await scoreFaces(model);

    expect(pReal.dims).toEqual([FACES.length, 1]);
    const scores = Array.from(pReal.data as Float32Array);
    console.log(`${weightFile} P(real): ${FACES.map(({ file }, i) => `${file}=${scores[i].toFixed(6)}`).join(', ')}`);
    const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
    try {
      for (const [index, { file }] of FACES.entries()) {
        const { p_real: alone } = await session.run({ input: new ort.Tensor('float32', await loadFace(file), [1, INPUT_SIZE, INPUT_SIZE, 3]) });
        expect(Math.abs((alone.data as Float32Array)[0] - scores[index])).toBeLessThan(1e-6);
      }
    } finally {
      await session.release();
    }
  });

  test('rejects weights of the other architecture with UNEXPECTED_LAYERS', async () => {
    await expect(convert('Meso4_DF.h5', 'mesoinception4')).rejects.toMatchObject({
      name: 'MesoNetConversionError',
      code: 'UNEXPECTED_LAYERS',
    });
  });

  test('rejects a file that is not HDF5 with INVALID_H5', async () => {
    const notHdf5 = new TextEncoder().encode('not an HDF5 file');
    const conversion = convertMesoNetH5(notHdf5, 'meso4');
    await expect(conversion).rejects.toBeInstanceOf(MesoNetConversionError);
    await expect(conversion).rejects.toMatchObject({ code: 'INVALID_H5' });
  });
});
