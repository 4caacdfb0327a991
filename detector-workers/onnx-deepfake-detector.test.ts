/**
 * A detector runs at its manifest's ONNX Runtime graph optimisation level. MesoInception's
 * manifests ask for `extended` (the `all` level's blocked-channel layout costs it more than it
 * saves); the level changes how ONNX Runtime runs the graph, not what it computes.
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../common';
import { sharedDir } from '../test/video-fixtures';
import { ensureModel } from '../weights';
import { OnnxDeepfakeDetector } from './onnx-deepfake-detector';

const FACES = ['df/df00204.jpg', 'df/df01254.jpg', 'real/real00240.jpg', 'real/real00772.jpg'];

async function faceCrops(size: number): Promise<RawImage[]> {
  return Promise.all(
    FACES.map(async (file) => {
      const data = await sharp(path.join(sharedDir(), 'faces', file)).resize(size, size, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      return { data, width: size, height: size, channels: 3 as const };
    }),
  );
}

function weightsOptions() {
  return {
    cacheDir: process.env.DEEPSIFT_CACHE_DIR ?? path.join(os.tmpdir(), 'deepsift-test-cache'),
    mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights'),
  };
}

describe("OnnxDeepfakeDetector and its manifest's graph optimisation level", () => {
  it('runs MesoInception at the level its manifest names, with the scores of the default level', async () => {
    const model = await ensureModel('mesoinception-df', weightsOptions());
    expect(model.manifest.onnxRuntime?.graphOptimizationLevel).toBe('extended');
    const { onnxRuntime: _, ...withoutLevel } = model.manifest;
    const options = { executionProviders: ['cpu'], intraOpThreads: 1 };
    const tuned = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, options);
    const plain = await OnnxDeepfakeDetector.create(withoutLevel, model.onnxPath, model.sha256, options);
    try {
      expect(tuned.graphOptimizationLevel).toBe('extended');
      expect(plain.graphOptimizationLevel).toBe('all');
      const crops = await faceCrops(tuned.inputSize);
      const [tunedScores, plainScores] = [await tuned.score(crops), await plain.score(crops)];
      // The DF-trained model tells the two deepfake faces from the two real ones at either level.
      expect(tunedScores.map((score) => score > 0.5)).toEqual([true, true, false, false]);
      tunedScores.forEach((score, i) => expect(Math.abs(score - plainScores[i]!)).toBeLessThan(1e-5));
    } finally {
      await Promise.all([tuned.close(), plain.close()]);
    }
  });

  it('runs a model whose manifest names no level at the default, or at the level asked for', async () => {
    const model = await ensureModel('meso4-df', weightsOptions());
    expect(model.manifest.onnxRuntime).toBeUndefined();
    const byDefault = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, { executionProviders: ['cpu'], intraOpThreads: 1 });
    const basic = await OnnxDeepfakeDetector.create(model.manifest, model.onnxPath, model.sha256, {
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      graphOptimizationLevel: 'basic',
    });
    try {
      expect(byDefault.graphOptimizationLevel).toBe('all');
      expect(basic.graphOptimizationLevel).toBe('basic');
      const crops = await faceCrops(byDefault.inputSize);
      const [a, b] = [await byDefault.score(crops), await basic.score(crops)];
      a.forEach((score, i) => expect(Math.abs(score - b[i]!)).toBeLessThan(1e-5));
    } finally {
      await Promise.all([byDefault.close(), basic.close()]);
    }
  });
});
