/**
 * The workers take users' own detectors and a calibration from their environment
 * (DEEPSIFT_MODELS_DIR, DEEPSIFT_CALIBRATION), as `deepsift scan` takes them from flags:
 * one `deepsift worker all` on RabbitMQ and a loopback S3 server.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Calibration } from '../aggregator';
import { hashFile } from '../ingest';
import { OnnxGraphBuilder } from '../weights/converters/onnx-graph-builder';
import { Deployment } from './distributed-harness';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

jest.setTimeout(240_000);

/** NCHW 32×32 image → mean colour → P(fake) = σ(4·(red − green)). */
function classifierOnnx(): Uint8Array {
  const graph = new OnnxGraphBuilder();
  const flat = graph.addNode('Flatten', [graph.addNode('GlobalAveragePool', ['image'], 'pooled')], 'flat', { axis: { int: 1 } });
  const linear = graph.addNode('MatMul', [flat, graph.addInitializer('w', [3, 1], Float32Array.from([4, -4, 0]))], 'linear');
  graph.addNode('Sigmoid', [linear], 'p_fake');
  return graph.serialize([{ name: 'image', shape: ['N', 3, 32, 32] }], [{ name: 'p_fake', shape: ['N', 1] }], { graphName: 'redness', docString: 'test' });
}

describe('distributed workers with your own detector and a calibration', () => {
  let dir: string;
  let deployment: Deployment | undefined;
  const name = `toy-worker-${process.pid}`;

  afterAll(async () => {
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scores with the detector from DEEPSIFT_MODELS_DIR and decides with DEEPSIFT_CALIBRATION', async () => {
    dir = await makeTempDir();
    const models = path.join(dir, 'models');
    await mkdir(models);
    const onnx = classifierOnnx();
    const sha256 = createHash('sha256').update(onnx).digest('hex');
    await writeFile(path.join(models, 'toy.onnx'), onnx);
    await writeFile(path.join(models, `${name}.json`), JSON.stringify({
      name, kind: 'deepfake-detector', description: 'Test classifier.',
      files: [{ name: 'toy.onnx', path: 'toy.onnx', sha256 }], onnxFile: 'toy.onnx',
      input: { name: 'image', width: 32, height: 32, layout: 'NCHW', channelOrder: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], dynamicBatch: true },
      output: { name: 'p_fake', kind: 'probability', positiveClass: 'fake' },
      threshold: 0.5, aggregation: 'track-max', cropMargin: 0.2,
      card: { paper: 'none', trainingData: 'none', license: 'Apache-2.0', limits: ['A test fixture.'] },
    }));
    // Every verdict FAKE: thresholds of 0 on the calibrated scores.
    const calibration: Calibration = {
      kind: 'deepsift-calibration', schemaVersion: 1, createdAt: new Date().toISOString(), deepsiftVersion: 'test',
      thresholdMethod: { name: 'youden' },
      fittedOn: { dataset: 'test', n: 2, nReal: 1, nFake: 1, aggregation: null, framesPerVideo: 32 },
      detectors: { 'meso4-df': { platt: { a: 1, b: 0 }, threshold: 0 }, [name]: { platt: { a: 1, b: 0 }, threshold: 0 } },
      ensemble: { intercept: 0, weights: { 'meso4-df': 0.5, [name]: 0.5 }, threshold: 0, crossValidatedAuc: null, meanEnsembleAuc: 1, folds: 0 },
    };
    const calibrationFile = path.join(dir, 'calibration.json');
    await writeFile(calibrationFile, JSON.stringify(calibration));
    const calibrationSha = createHash('sha256').update(await readFile(calibrationFile)).digest('hex');

    const video = await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), path.join(dir, 'real.mp4'), { seconds: 1 });
    deployment = await Deployment.start({ DEEPSIFT_MODELS_DIR: models, DEEPSIFT_CALIBRATION: calibrationFile, DEEPSIFT_DETECTORS: `meso4-df,${name}` });
    await deployment.startWorker('all');
    await deployment.bucket.put('incoming/real.mp4', await readFile(video));
    const { etag } = await deployment.bucket.head('incoming/real.mp4');
    await deployment.publish('s3-events', deployment.s3Event('incoming/real.mp4', etag));
    const report = await deployment.report((await hashFile(video)).sha256);

    expect(report.status).toBe('done');
    expect(report.models).toContainEqual({ name, kind: 'deepfake-detector', sha256 });
    expect(report.detectors[name]!.facesScored).toBeGreaterThan(0);
    expect(report.calibration).toEqual({ source: calibrationFile, sha256: calibrationSha, applied: ['meso4-df', name, 'ensemble'] });
    expect(report.detectors['meso4-df']).toMatchObject({ label: 'FAKE', threshold: 0 });
    expect(report.detectors['meso4-df']!.rawScore).toBeLessThan(0.5); // the real face, uncalibrated
    expect(report).toMatchObject({ label: 'FAKE', threshold: 0 });
  });
});
