/**
 * `npm run bench -- --mode models`: what each crop detector's inference costs on the CPU, one
 * crop per run (the CPU batch size), at ONNX Runtime's default graph optimisation level
 * (`all`) and at the level its manifest names, if another. The four face crops of
 * ../shared/faces are scored over and over; the levels alternate, round by round, so that a
 * noisy machine weighs on both alike. Also prints the largest score difference between the
 * levels. A benchmark that prints figures, never a test.
 */
import path from 'node:path';
import sharp from 'sharp';
import type { GraphOptimizationLevel, RawImage } from '../common';
import { OnnxDeepfakeDetector } from '../detector-workers';
import { ensureModel } from '../weights';
import { median } from './median-ratios';
import { printTable } from './print-table';
import { sharedDir } from './sample-copies';

const MODELS = ['meso4-df', 'mesoinception-df', 'meso4-f2f', 'mesoinception-f2f'];
const FACES = ['df/df00204.jpg', 'df/df01254.jpg', 'real/real00240.jpg', 'real/real00772.jpg'];
const ROUNDS = 3;
const CROPS_PER_ROUND = 64;

async function faceCrops(size: number): Promise<RawImage[]> {
  return Promise.all(
    FACES.map(async (file) => {
      const data = await sharp(path.join(sharedDir(), 'faces', file)).resize(size, size, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      return { data, width: size, height: size, channels: 3 as const };
    }),
  );
}

/** CPU milliseconds per crop of scoring `count` crops one at a time (the process's CPU: ONNX Runtime runs in a worker thread). */
async function cpuMsPerCrop(detector: OnnxDeepfakeDetector, crops: RawImage[], count: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await detector.score([crops[i % crops.length]!]);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

/** Prints one row per model and level. */
export async function runModelsBench(): Promise<void> {
  const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights') };
  const rows: string[][] = [];
  for (const name of MODELS) {
    const model = await ensureModel(name, weights);
    const manifestLevel = model.manifest.onnxRuntime?.graphOptimizationLevel;
    const levels: GraphOptimizationLevel[] = manifestLevel && manifestLevel !== 'all' ? ['all', manifestLevel] : ['all'];
    const { onnxRuntime: _, ...atDefault } = model.manifest;
    const detectors = await Promise.all(
      levels.map((graphOptimizationLevel) =>
        OnnxDeepfakeDetector.create(atDefault, model.onnxPath, model.sha256, { executionProviders: ['cpu'], intraOpThreads: 1, graphOptimizationLevel }),
      ),
    );
    try {
      const crops = await faceCrops(detectors[0]!.inputSize);
      const scores = await Promise.all(detectors.map((detector) => detector.score(crops)));
      const perRound = detectors.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, detector] of detectors.entries()) {
          await detector.score(crops.slice(0, 1)); // warm: ONNX Runtime allocates on its first runs
          perRound[i]!.push(await cpuMsPerCrop(detector, crops, CROPS_PER_ROUND));
        }
      }
      for (const [i, level] of levels.entries()) {
        const largestDelta = Math.max(...scores[i]!.map((score, j) => Math.abs(score - scores[0]![j]!)));
        rows.push([
          name,
          level + (level === (manifestLevel ?? 'all') ? ' (manifest)' : ''),
          perRound[i]!.map((ms) => ms.toFixed(2)).join(', '),
          median(perRound[i]!)!.toFixed(2),
          i === 0 ? '-' : largestDelta.toExponential(1),
        ]);
      }
    } finally {
      await Promise.all(detectors.map((detector) => detector.close()));
    }
  }
  console.log(`Crop detectors on the CPU, one crop per run, one intra-op thread; ${ROUNDS} rounds of ${CROPS_PER_ROUND} crops, levels alternating.`);
  printTable([['model', 'graph optimisation', 'CPU ms per crop (rounds)', 'median', 'max |Δ score| vs all'], ...rows]);
}
