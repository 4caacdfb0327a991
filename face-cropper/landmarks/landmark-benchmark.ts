/**
 * Measures deepsift's LRNet landmarks against upstream's on LRNet's four demo videos, and
 * what LRNet makes of them. Prints, per video: CPU and wall seconds of the extraction, the
 * mean point error against upstream's landmark file (Euclidean, in the [−1, 1] space; the
 * normalised face is 400 px, so 0.005 is one pixel), the mean frame-to-frame motion of the
 * points (jitter), and LRNet's mean block score on upstream's landmarks, on ours before
 * calibration and on ours. Not a test: figures depend on the machine.
 *
 *   npm run bench:landmarks -- [cropMargin=0.1] [eval/ path without .mp4, e.g. real/lrnet_dfo_real ...]
 *
 * Run from the repository root with DEEPSIFT_WEIGHTS_MIRROR set (or network access).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { OnnxTemporalDetector, parseLandmarkText, type LandmarkSequence } from '../../detector-workers';
import { ensureModel } from '../../weights';
import { UltraFaceDetector } from '../ultraface-detector';
import { FaceApiLandmarker } from './faceapi-landmarker';
import { loadOpenCv } from './opencv';
import { extractVideoLandmarks } from './video-landmarks';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(process.cwd(), '..', 'shared');
const VIDEOS = ['real/lrnet_ff_real', 'fake/lrnet_ff_fake', 'real/lrnet_dfo_real', 'fake/lrnet_dfo_fake'];

function videoSize(file: string): { width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]).toString().trim();
  const [width, height] = out.split(',').map(Number);
  return { width: width!, height: height! };
}

/** Mean Euclidean distance per point between two [frames, 136] sequences, over their common frames. */
function meanPointError(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length) / 2;
  let sum = 0;
  for (let p = 0; p < n; p += 1) sum += Math.hypot(a[2 * p]! - b[2 * p]!, a[2 * p + 1]! - b[2 * p + 1]!);
  return sum / n;
}

/** Mean distance a point moves between consecutive frames. */
function meanMotion(values: Float32Array): number {
  const frames = values.length / 136;
  let sum = 0;
  for (let f = 1; f < frames; f += 1) {
    for (let p = 0; p < 68; p += 1) {
      const i = f * 136 + 2 * p;
      sum += Math.hypot(values[i]! - values[i - 136]!, values[i + 1]! - values[i - 135]!);
    }
  }
  return sum / Math.max(1, (frames - 1) * 68);
}

async function main(): Promise<void> {
  const cropMargin = Number(process.argv[2] ?? 0.1);
  const videos = process.argv.length > 3 ? process.argv.slice(3) : VIDEOS;
  const options = { executionProviders: ['cpu'], intraOpThreads: 1 };
  const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir, 'weights') };
  const faceModel = await ensureModel('ultraface-rfb-640', weights);
  const landmarkModel = await ensureModel('faceapi-landmark68', weights);
  const faceDetector = await UltraFaceDetector.create(faceModel.onnxPath, { width: 640, height: 480 }, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const landmarker = await FaceApiLandmarker.create(landmarkModel.manifest, landmarkModel.onnxPath, { ...options, cropMargin });
  const detectors = await Promise.all(
    ['lrnet-dfo', 'lrnet-ffpp'].map(async (name) => {
      const model = await ensureModel(name, weights);
      return OnnxTemporalDetector.create(model.manifest, model.onnxPath, model.sha256, options);
    }),
  );
  const { cv } = await loadOpenCv();
  const score = async (values: Float32Array): Promise<string> => {
    const sequence: LandmarkSequence = { frames: values.length / 136, values };
    const scores = await Promise.all(detectors.map((detector) => detector.scoreSequence(sequence)));
    return scores.map((s) => (s.meanBlockScore ?? NaN).toFixed(3)).join(' / ');
  };
  process.stdout.write(`crop margin ${cropMargin}; LRNet mean block score given as dfo / ffpp weights\n`);
  process.stdout.write('video | frames | CPU s | wall s | error vs upstream (uncalibrated → calibrated) | motion upstream / ours uncal. / ours | LRNet upstream | ours uncal. | ours\n');
  for (const video of videos) {
    const file = path.join(sharedDir, 'eval', `${video}.mp4`);
    const name = path.basename(video);
    const reference = parseLandmarkText(readFileSync(path.join(sharedDir, 'lrnet-landmarks', `${name}.txt`), 'utf8'), name);
    const { width, height } = videoSize(file);
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    const ours = await extractVideoLandmarks(file, width, height, { faceDetector, landmarker, cv });
    const cpu = process.cpuUsage(cpuBefore);
    const wall = (Date.now() - started) / 1000;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(
      `${name} | ${ours.frames}/${reference.frames} (${ours.framesWithoutFace} without face) | ${cpuSeconds.toFixed(1)} | ${wall.toFixed(1)} | ` +
        `${meanPointError(ours.uncalibrated, reference.values).toFixed(4)} → ${meanPointError(ours.values, reference.values).toFixed(4)} | ` +
        `${meanMotion(reference.values).toFixed(4)} / ${meanMotion(ours.uncalibrated).toFixed(4)} / ${meanMotion(ours.values).toFixed(4)} | ` +
        `${await score(reference.values)} | ${await score(ours.uncalibrated)} | ${await score(ours.values)}\n`,
    );
  }
  await Promise.all([faceDetector.close(), landmarker.close(), ...detectors.map((detector) => detector.close())]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
