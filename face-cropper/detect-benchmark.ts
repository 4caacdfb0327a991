/**
 * Prints ms per 1080p frame for `detect()` (resize + normalise + inference + decode) of UltraFace
 * RFB-640 and RFB-320 and BlazeFace front at several intra-op thread counts. Not a test: timings depend on the machine.
 *
 *   node dist/face-cropper/detect-benchmark.js [frames=30]
 *
 * Run from the repository root: reads the shared folder from DEEPSIFT_SHARED_DIR, default `../shared`.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RawImage } from '../common/raw-image';
import { BlazeFaceDetector } from './blazeface-detector';
import type { FaceDetector } from './face-detector';
import { UltraFaceDetector } from './ultraface-detector';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(process.cwd(), '..', 'shared');
const models = [
  { file: 'version-RFB-640.onnx', input: { width: 640, height: 480 } },
  { file: 'version-RFB-320.onnx', input: { width: 320, height: 240 } },
];

function readFrame(seconds: number): RawImage {
  const video = path.join(sharedDir, 'videos', 'interview_1080p.mp4');
  const args = ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return { data: execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 }), width: 1920, height: 1080, channels: 3 };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const framesPerRound = 5;
  const frames = [1, 3, 5, 7].map(readFrame);
  const threadCounts = [undefined, 1, 2, os.cpus().length].filter((t, i, all) => all.indexOf(t) === i);
  const configs: Array<{ label: string; detector: FaceDetector; msPerFrame: number[] }> = [];
  const blazeFacePath = path.join(sharedDir, 'weights', 'blazeface', 'face_detection_front_128x128_barracuda.onnx');
  const factories = [
    ...models.map((model) => (options: { intraOpNumThreads?: number }) =>
      UltraFaceDetector.create(path.join(sharedDir, 'weights', 'ultraface', model.file), model.input, options)),
    (options: { intraOpNumThreads?: number }) => BlazeFaceDetector.create(blazeFacePath, options),
  ];
  for (const create of factories) {
    for (const intraOpNumThreads of threadCounts) {
      const detector: FaceDetector = await create({ intraOpNumThreads });
      for (const frame of frames) await detector.detect(frame); // warm-up
      configs.push({ label: `${detector.name} intraOpNumThreads=${intraOpNumThreads ?? 'default'}`, detector, msPerFrame: [] });
    }
  }
  // Interleaved rounds and medians: on a shared machine, a burst of load then hits every configuration alike.
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      for (let i = 0; i < framesPerRound; i++) {
        const started = process.hrtime.bigint();
        await config.detector.detect(frames[i % frames.length]);
        config.msPerFrame.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
  }
  console.log(`cpus=${os.cpus().length}, ${rounds * framesPerRound} frames of 1920x1080 per configuration`);
  for (const { label, detector, msPerFrame } of configs) {
    const sorted = [...msPerFrame].sort((a, b) => a - b);
    const at = (q: number): string => sorted[Math.floor(q * (sorted.length - 1))].toFixed(1);
    console.log(`${label}: median ${at(0.5)} ms/frame (p10 ${at(0.1)}, p90 ${at(0.9)})`);
    await detector.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
