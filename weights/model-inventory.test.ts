import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureModel } from './model-fetcher';
import { listModels, verifyModels } from './model-inventory';
import type { ConverterSet } from './model-converters';
import type { ManifestConverter } from './manifest';
import type { WeightsOptions } from './weights-options';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');
const mirrorDir = path.join(sharedDir, 'weights');

function fakeConverters(version: string): ConverterSet {
  const converter = { version, convert: async (_sources: readonly Uint8Array[], spec: ManifestConverter) => Buffer.from(`fake ${spec.name}`) };
  return { 'mesonet-keras-h5': converter, 'lrnet-pytorch': converter, 'faceapi-tfjs-landmarks': converter, 'onnx-initializers-as-constants': converter };
}

let cacheDir: string;
beforeEach(() => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepsift-inventory-'));
});
afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

function options(extra: WeightsOptions & { names?: string[] } = {}): WeightsOptions & { names?: string[] } {
  return { env: {}, cacheDir, mirrorDir, converters: fakeConverters('1'), ...extra };
}

describe('listModels', () => {
  it('shows which models are cached and verified', async () => {
    await ensureModel('blazeface-front-128', options());
    await ensureModel('meso4-df', options());
    await ensureModel('lrnet-dfo', options());
    const listed = await listModels(options());

    expect(listed.map(({ name, kind, cached, verified }) => ({ name, kind, cached, verified }))).toEqual([
      { name: 'blazeface-back-256', kind: 'face-detector', cached: false, verified: false },
      { name: 'blazeface-front-128', kind: 'face-detector', cached: true, verified: true },
      { name: 'faceapi-landmark68', kind: 'landmark-model', cached: false, verified: false },
      { name: 'facemesh-landmark468', kind: 'landmark-model', cached: false, verified: false },
      { name: 'lrnet-dfo', kind: 'temporal-detector', cached: true, verified: true },
      { name: 'lrnet-ffpp', kind: 'temporal-detector', cached: false, verified: false },
      { name: 'meso4-df', kind: 'deepfake-detector', cached: true, verified: true },
      { name: 'meso4-f2f', kind: 'deepfake-detector', cached: false, verified: false },
      { name: 'mesoinception-df', kind: 'deepfake-detector', cached: false, verified: false },
      { name: 'mesoinception-f2f', kind: 'deepfake-detector', cached: false, verified: false },
      { name: 'ultraface-rfb-320', kind: 'face-detector', cached: false, verified: false },
      { name: 'ultraface-rfb-640', kind: 'face-detector', cached: false, verified: false },
    ]);
  });
});

describe('verifyModels', () => {
  it('reports a corrupted upstream file and a corrupted conversion', async () => {
    const blazeface = await ensureModel('blazeface-front-128', options());
    const meso = await ensureModel('meso4-df', options());
    fs.appendFileSync(blazeface.onnxPath, 'x');
    fs.writeFileSync(meso.onnxPath, 'tampered');

    const report = await verifyModels(options({ names: ['blazeface-front-128', 'meso4-df', 'meso4-f2f'] }));

    expect(report.map(({ name, status }) => ({ name, status }))).toEqual([
      { name: 'blazeface-front-128', status: 'corrupt' },
      { name: 'meso4-df', status: 'corrupt' },
      { name: 'meso4-f2f', status: 'not-cached' },
    ]);
    expect(report[0]?.problems).toEqual([
      expect.objectContaining({ file: 'face_detection_front_128x128_barracuda.onnx', state: 'mismatch', expectedSha256: blazeface.sha256 }),
    ]);
    expect(report[1]?.problems).toEqual([expect.objectContaining({ file: 'meso4-df.onnx', state: 'mismatch', expectedSha256: meso.sha256 })]);
  });

  it('calls a conversion by an older converter version stale, and ensureModel redoes it', async () => {
    await ensureModel('meso4-f2f', options());
    const newer = options({ converters: fakeConverters('2'), names: ['meso4-f2f'] });

    expect((await verifyModels(newer))[0]).toMatchObject({ status: 'corrupt', problems: [{ state: 'stale' }] });
    await ensureModel('meso4-f2f', newer);
    expect((await verifyModels(newer))[0]).toEqual({ name: 'meso4-f2f', status: 'verified', problems: [] });
  });
});
