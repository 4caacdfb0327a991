import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from './file-hash';
import { defaultModelsDir, getManifest, loadManifests, packageRoot } from './manifest-registry';
import { validateManifest } from './manifest-validator';
import { ManifestError, UnknownModelError } from './weights-errors';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');
const mirrorDir = path.join(sharedDir, 'weights');

const MODEL_NAMES = [
  'blazeface-back-256',
  'blazeface-front-128',
  'faceapi-landmark68',
  'facemesh-landmark468',
  'lrnet-dfo',
  'lrnet-ffpp',
  'meso4-df',
  'meso4-f2f',
  'mesoinception-df',
  'mesoinception-f2f',
  'ultraface-rfb-320',
  'ultraface-rfb-640',
];

function readModel(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(defaultModelsDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;
}

describe('model manifests', () => {
  it('loads one valid manifest per model from weights/models', async () => {
    const manifests = await loadManifests();
    expect([...manifests.keys()]).toEqual(MODEL_NAMES);
  });

  it.each(MODEL_NAMES)('%s: every file matches the mirror byte for byte', async (name) => {
    const manifest = await getManifest(name);
    for (const file of manifest.files) {
      const mirrored = path.join(mirrorDir, file.mirrorPath!);
      expect(await sha256File(mirrored)).toBe(file.sha256);
      expect(fs.statSync(mirrored).size).toBe(file.sizeBytes);
    }
  });

  it('describes the MesoNet detectors as P(real) models that need conversion', async () => {
    const manifest = await getManifest('mesoinception-f2f');
    expect(manifest.converter).toEqual({ name: 'mesonet-keras-h5', architecture: 'mesoinception4' });
    expect(manifest.output).toEqual({ name: 'p_real', kind: 'probability', positiveClass: 'real' });
    expect(manifest.files[0]?.url).toBe('https://github.com/DariusAf/MesoNet/raw/master/weights/MesoInception_F2F.h5');
  });

  it('names the package root from source and from dist', () => {
    const root = packageRoot();
    expect(fs.existsSync(path.join(root, 'package.json'))).toBe(true);
    expect(packageRoot(path.join(root, 'dist', 'weights'))).toBe(root);
  });

  it('rejects an unknown model and lists the known ones', async () => {
    const attempt = getManifest('meso5');
    await expect(attempt).rejects.toThrow(UnknownModelError);
    await expect(attempt).rejects.toThrow(/Unknown model "meso5"\. Known models: blazeface-back-256, .*ultraface-rfb-640/);
  });
});

describe('validateManifest', () => {
  function invalid(change: (manifest: Record<string, unknown>) => void, name = 'meso4-df'): ManifestError {
    const manifest = readModel(name);
    change(manifest);
    try {
      validateManifest(manifest, `${name}.json`);
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      return err as ManifestError;
    }
    throw new Error('expected the manifest to be rejected');
  }

  it('names the file and a missing field', () => {
    const error = invalid((manifest) => delete manifest.threshold);
    expect(error.file).toBe('meso4-df.json');
    expect(error.field).toBe('/threshold');
    expect(error.message).toBe('Invalid model manifest meso4-df.json: /threshold is required.');
  });

  it('names a nested field with a bad value', () => {
    const error = invalid((manifest) => ((manifest.input as Record<string, unknown>).layout = 'CHW'));
    expect(error.field).toBe('/input/layout');
    expect(error.message).toMatch(/must be one of \["NCHW","NHWC"\]/);
    expect(invalid((manifest) => ((manifest.input as Record<string, unknown>).mean = [0, 0])).field).toBe('/input/mean');
    expect(invalid((manifest) => ((manifest.input as Record<string, unknown>).std = [1, 0, 1])).field).toBe('/input/std/1');
  });

  it('rejects a bad checksum, an unknown field and a non-http URL', () => {
    const files = (manifest: Record<string, unknown>) => (manifest.files as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(invalid((manifest) => (files(manifest).sha256 = 'ABC')).field).toBe('/files/0/sha256');
    expect(invalid((manifest) => (manifest.weights = 'x')).message).toMatch(/\/weights is not a manifest field/);
    expect(invalid((manifest) => (files(manifest).url = 'file:///etc/passwd')).field).toBe('/files/0/url');
    expect(invalid((manifest) => (files(manifest).mirrorPath = '../../etc/passwd')).field).toBe('/files/0/mirrorPath');
  });

  it.each(['output', 'aggregation', 'cropMargin'])('requires %s of a deepfake detector, and not of a face detector', (field) => {
    const error = invalid((manifest) => delete manifest[field]);
    expect(error.field).toBe(`/${field}`);
    expect(error.message).toBe(`Invalid model manifest meso4-df.json: /${field} is required.`);
    const faceDetector = readModel('ultraface-rfb-640');
    delete faceDetector[field];
    expect(() => validateManifest(faceDetector, 'ultraface-rfb-640.json')).not.toThrow();
  });

  it('rejects an unknown aggregation and a crop margin out of range', () => {
    expect(invalid((manifest) => (manifest.aggregation = 'average')).field).toBe('/aggregation');
    expect(invalid((manifest) => (manifest.cropMargin = -0.1)).field).toBe('/cropMargin');
    expect(invalid((manifest) => (manifest.cropMargin = 3)).field).toBe('/cropMargin');
  });

  it("accepts ONNX Runtime's graph optimisation levels and names anything else", () => {
    expect(validateManifest(readModel('mesoinception-df'), 'mesoinception-df.json').onnxRuntime).toEqual({ graphOptimizationLevel: 'extended' });
    expect(invalid((manifest) => (manifest.onnxRuntime = { graphOptimizationLevel: 'fast' })).field).toBe('/onnxRuntime/graphOptimizationLevel');
    expect(invalid((manifest) => (manifest.onnxRuntime = { threads: 2 })).message).toMatch(/\/onnxRuntime\/threads is not a manifest field/);
  });

  it('holds a temporal detector to a landmark-block input and no crop settings', () => {
    expect(validateManifest(readModel('lrnet-dfo')).input).toEqual({ name: 'landmarks', kind: 'landmark-blocks', blockFrames: 30, coordinates: 'lrnet-400' });
    const imageInput = readModel('meso4-df').input;
    expect(invalid((manifest) => (manifest.input = imageInput), 'lrnet-dfo').field).toMatch(/^\/input\//);
    expect(invalid((manifest) => (manifest.cropMargin = 0.2), 'lrnet-dfo').field).toBe('/cropMargin');
    expect(invalid((manifest) => delete manifest.output, 'lrnet-ffpp').field).toBe('/output');
    // A crop detector cannot take landmark blocks either.
    expect(invalid((manifest) => (manifest.input = readModel('lrnet-dfo').input)).field).toMatch(/^\/input\//);
  });

  it('requires onnxFile to name an upstream file unless a converter makes it', () => {
    expect(invalid((manifest) => (manifest.onnxFile = 'other.onnx'), 'blazeface-front-128').message).toMatch(
      /must name one of the files/,
    );
    expect(invalid((manifest) => (manifest.onnxFile = 'Meso4_DF.h5')).field).toBe('/onnxFile');
  });

  it('reports a file that is not JSON, or named unlike its model', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepsift-manifests-'));
    try {
      fs.writeFileSync(path.join(dir, 'broken.json'), '{ "name": ');
      await expect(loadManifests(dir)).rejects.toThrow(/broken\.json: \(root\) is not valid JSON/);
      fs.rmSync(path.join(dir, 'broken.json'));
      fs.writeFileSync(path.join(dir, 'renamed.json'), JSON.stringify(readModel('meso4-df')));
      await expect(loadManifests(dir)).rejects.toThrow(/"meso4-df" must match the file name "renamed.json"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
