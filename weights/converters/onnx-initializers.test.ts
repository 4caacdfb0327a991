import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { initializersAsConstants } from './onnx-initializers';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared');

describe('initializersAsConstants', () => {
  it('gives UltraFace RFB-320 the same outputs with its weights as constants', async () => {
    const upstream = await readFile(path.join(sharedDir, 'weights', 'ultraface', 'version-RFB-320.onnx'));
    const rewritten = initializersAsConstants(upstream);
    const [before, after] = await Promise.all(
      [upstream, rewritten].map((bytes) => ort.InferenceSession.create(bytes, { logSeverityLevel: 3 })),
    );
    expect(onnx.ModelProto.decode(upstream).graph!.input!.length).toBeGreaterThan(100);
    expect(onnx.ModelProto.decode(rewritten).graph!.input!.map((i) => i.name)).toEqual(['input']);

    const data = Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => Math.sin(i) * 0.9);
    const feeds = { input: new ort.Tensor('float32', data, [1, 3, 240, 320]) };
    const [a, b] = await Promise.all([before!.run(feeds), after!.run(feeds)]);
    for (const name of ['scores', 'boxes']) {
      const x = a[name]!.data as Float32Array;
      const y = b[name]!.data as Float32Array;
      expect(y.length).toBe(x.length);
      let maxDiff = 0;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });
});
