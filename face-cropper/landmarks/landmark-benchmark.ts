/**
 * Measures deepsift's LRNet landmarks against upstream's on LRNet's four demo videos, and
 * what LRNet makes of them, with either landmark net. Prints, per video: CPU and wall seconds
 * of the extraction, the mean point error against upstream's landmark file (Euclidean, in
 * the [−1, 1] space; the normalised face is 400 px, so 0.005 is one pixel), the mean
 * frame-to-frame motion of the points (jitter), and LRNet's mean block score on upstream's
 * landmarks and on ours. Not a test: figures depend on the machine.
 *
 *   npm run bench:landmarks -- [--landmark-model faceapi|facemesh] [--crop-margin M] [--clips 4x61] [eval/ path without .mp4 ...]
 *
 * Whole videos by default (every frame, before and after calibration); with `--clips` the
 * temporal path's dense clips (clip-landmarks.ts), compared with upstream's landmarks of the
 * same frames, plus the error of the jaw line (iBUG 0–16) apart and the CPU time per face
 * of the landmark step (crop and net). Run from the repository root with
 * DEEPSIFT_WEIGHTS_MIRROR set (or network access).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Box, RawImage } from '../../common/raw-image';
import { OnnxTemporalDetector, parseLandmarkText, type LandmarkSequence } from '../../detector-workers';
import { probeVideo } from '../../frame-extractor/probe-video';
import { DEFAULT_VIDEO_LIMITS } from '../../frame-extractor/video-limits';
import { ensureModel } from '../../weights';
import { UltraFaceDetector } from '../ultraface-detector';
import { createLandmarker } from './create-landmarker';
import { IBUG_JAW_POINTS } from './facemesh-ibug68';
import { LANDMARK_MODELS, type Landmarker, type LandmarkModelName } from './landmarker';
import type { FrameShape } from './lrnet-face-plan';
import { loadOpenCv } from './opencv';
import { videoClipLandmarks } from './video-clip-landmarks';
import { extractVideoLandmarks } from './video-landmarks';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(process.cwd(), '..', 'shared');
const VIDEOS = ['real/lrnet_ff_real', 'fake/lrnet_ff_fake', 'real/lrnet_dfo_real', 'fake/lrnet_dfo_fake'];
const VALUES_PER_FRAME = 136;

function videoSize(file: string): { width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]).toString().trim();
  const [width, height] = out.split(',').map(Number);
  return { width: width!, height: height! };
}

/** Mean Euclidean distance per point between two [frames, 136] sequences, over their common frames and the points in [from, to). */
function meanPointError(a: Float32Array, b: Float32Array, from = 0, to = 68): number {
  const frames = Math.floor(Math.min(a.length, b.length) / VALUES_PER_FRAME);
  let sum = 0;
  for (let f = 0; f < frames; f += 1) {
    for (let p = from; p < to; p += 1) {
      const i = f * VALUES_PER_FRAME + 2 * p;
      sum += Math.hypot(a[i]! - b[i]!, a[i + 1]! - b[i + 1]!);
    }
  }
  return sum / Math.max(1, frames * (to - from));
}

/** Mean distance a point moves between consecutive frames. */
function meanMotion(values: Float32Array): number {
  const frames = values.length / VALUES_PER_FRAME;
  let sum = 0;
  for (let f = 1; f < frames; f += 1) {
    for (let p = 0; p < 68; p += 1) {
      const i = f * VALUES_PER_FRAME + 2 * p;
      sum += Math.hypot(values[i]! - values[i - VALUES_PER_FRAME]!, values[i + 1]! - values[i - VALUES_PER_FRAME + 1]!);
    }
  }
  return sum / Math.max(1, (frames - 1) * 68);
}

/** The mean of per-sequence figures, weighted by their frames. */
function weightedMean(parts: Array<{ frames: number; value: number }>): number {
  const frames = parts.reduce((sum, part) => sum + part.frames, 0);
  return parts.reduce((sum, part) => sum + part.value * part.frames, 0) / Math.max(1, frames);
}

/** A landmarker that counts the CPU time and calls of `locate` (crop and net; nothing else runs meanwhile). */
class TimedLandmarker implements Landmarker {
  cpuMicros = 0;
  calls = 0;
  constructor(private readonly inner: Landmarker) {}
  get executionProvider(): string {
    return this.inner.executionProvider;
  }
  async locate(frame: RawImage, box: Box): Promise<FrameShape> {
    const before = process.cpuUsage();
    const shape = await this.inner.locate(frame, box);
    const used = process.cpuUsage(before);
    this.cpuMicros += used.user + used.system;
    this.calls += 1;
    return shape;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function parseOptions(): { landmarkModel: LandmarkModelName; cropMargin?: number; clips?: { count: number; frames: number }; videos: string[] } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'landmark-model': { type: 'string', default: 'faceapi' }, 'crop-margin': { type: 'string' }, clips: { type: 'string' } },
  });
  const landmarkModel = values['landmark-model']!;
  if (!(landmarkModel in LANDMARK_MODELS)) throw new Error(`--landmark-model: expected faceapi or facemesh, got "${landmarkModel}"`);
  const clips = values.clips === undefined ? undefined : /^(\d+)x(\d+)$/.exec(values.clips);
  if (clips === null) throw new Error(`--clips: expected COUNTxFRAMES such as 4x61, got "${values.clips}"`);
  return {
    landmarkModel: landmarkModel as LandmarkModelName,
    ...(values['crop-margin'] !== undefined ? { cropMargin: Number(values['crop-margin']) } : {}),
    ...(clips !== undefined ? { clips: { count: Number(clips[1]), frames: Number(clips[2]) } } : {}),
    videos: positionals.length > 0 ? positionals : VIDEOS,
  };
}

async function main(): Promise<void> {
  const { landmarkModel, cropMargin, clips, videos } = parseOptions();
  const options = { executionProviders: ['cpu'], intraOpThreads: 1 };
  const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir, 'weights') };
  const faceModel = await ensureModel('ultraface-rfb-640', weights);
  const landmarkNet = await ensureModel(LANDMARK_MODELS[landmarkModel], weights);
  const faceDetector = await UltraFaceDetector.create(faceModel.onnxPath, { width: 640, height: 480 }, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const landmarker = new TimedLandmarker(await createLandmarker(landmarkModel, landmarkNet, { ...options, ...(cropMargin !== undefined ? { cropMargin } : {}) }));
  const detectors = await Promise.all(
    ['lrnet-dfo', 'lrnet-ffpp'].map(async (name) => {
      const model = await ensureModel(name, weights);
      return OnnxTemporalDetector.create(model.manifest, model.onnxPath, model.sha256, options);
    }),
  );
  const { cv } = await loadOpenCv();
  const score = async (sequences: LandmarkSequence[]): Promise<string> => {
    const scores = await Promise.all(detectors.map((detector) => detector.scoreSequences(sequences)));
    return scores.map((s) => (s.meanBlockScore ?? NaN).toFixed(3)).join(' / ');
  };
  process.stdout.write(`landmark model ${landmarkModel}, crop margin ${cropMargin ?? 'default'}${clips ? `, clips ${clips.count}x${clips.frames}` : ', whole videos'}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; LRNet mean block score given as dfo / ffpp weights\n`);
  if (clips) {
    process.stdout.write('video | frames | CPU s | wall s | landmark CPU ms/face | error vs upstream (all / jaw / rest) | motion upstream / ours | LRNet upstream, same frames | ours\n');
  } else {
    process.stdout.write('video | frames | CPU s | wall s | error vs upstream (uncalibrated → calibrated) | motion upstream / ours uncal. / ours | LRNet upstream | ours uncal. | ours\n');
  }
  for (const video of videos) {
    const file = path.join(sharedDir, 'eval', `${video}.mp4`);
    const name = path.basename(video);
    const reference = parseLandmarkText(readFileSync(path.join(sharedDir, 'lrnet-landmarks', `${name}.txt`), 'utf8'), name);
    landmarker.cpuMicros = 0;
    landmarker.calls = 0;
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    if (clips) {
      const results = await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), { clipCount: clips.count, clipFrames: clips.frames, limits: DEFAULT_VIDEO_LIMITS }, { faceDetector, landmarker, cv });
      const cpu = process.cpuUsage(cpuBefore);
      const wall = (Date.now() - started) / 1000;
      const ours: LandmarkSequence[] = [];
      const upstream: LandmarkSequence[] = [];
      for (const clip of results) {
        if (!('values' in clip)) continue;
        ours.push(clip);
        const start = clip.window.startFrame * VALUES_PER_FRAME;
        upstream.push({ frames: clip.frames, values: reference.values.slice(start, start + clip.frames * VALUES_PER_FRAME) });
      }
      const pairs = ours.map((clip, index) => ({ ours: clip, upstream: upstream[index]! }));
      const error = (from: number, to: number): string => weightedMean(pairs.map((pair) => ({ frames: pair.ours.frames, value: meanPointError(pair.ours.values, pair.upstream.values, from, to) }))).toFixed(4);
      const motion = (pick: 'ours' | 'upstream'): string => weightedMean(pairs.map((pair) => ({ frames: pair.ours.frames, value: meanMotion(pair[pick].values) }))).toFixed(4);
      process.stdout.write(
        `${name} | ${ours.reduce((sum, clip) => sum + clip.frames, 0)} in ${ours.length}/${results.length} clips | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} | ${wall.toFixed(1)} | ` +
          `${(landmarker.cpuMicros / 1000 / Math.max(1, landmarker.calls)).toFixed(1)} | ${error(0, 68)} / ${error(0, IBUG_JAW_POINTS)} / ${error(IBUG_JAW_POINTS, 68)} | ` +
          `${motion('upstream')} / ${motion('ours')} | ${await score(upstream)} | ${await score(ours)}\n`,
      );
      continue;
    }
    const { width, height } = videoSize(file);
    const whole = await extractVideoLandmarks(file, width, height, { faceDetector, landmarker, cv });
    const cpu = process.cpuUsage(cpuBefore);
    const wall = (Date.now() - started) / 1000;
    const sequence = (values: Float32Array): LandmarkSequence[] => [{ frames: values.length / VALUES_PER_FRAME, values }];
    process.stdout.write(
      `${name} | ${whole.frames}/${reference.frames} (${whole.framesWithoutFace} without face) | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} | ${wall.toFixed(1)} | ` +
        `${meanPointError(whole.uncalibrated, reference.values).toFixed(4)} → ${meanPointError(whole.values, reference.values).toFixed(4)} | ` +
        `${meanMotion(reference.values).toFixed(4)} / ${meanMotion(whole.uncalibrated).toFixed(4)} / ${meanMotion(whole.values).toFixed(4)} | ` +
        `${await score(sequence(reference.values))} | ${await score(sequence(whole.uncalibrated))} | ${await score(sequence(whole.values))}\n`,
    );
  }
  await Promise.all([faceDetector.close(), landmarker.close(), ...detectors.map((detector) => detector.close())]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
