/**
 * `npm run bench -- --mode temporal`: the temporal path (LRNet) over LRNet's four demo videos
 * in ../shared/eval, one process, one video at a time: per video, CPU seconds of the clip
 * decoding + face detection + landmarks + calibration and of LRNet itself, the clips and
 * blocks scored, and the mean block score with both weight sets. For comparison it runs a
 * plain `deepsift scan` (the default crop detectors, one process per video, model loading
 * included) of the same videos and prints its CPU seconds. A benchmark that prints figures,
 * never a test.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OnnxTemporalDetector } from '../detector-workers';
import { DEFAULT_VIDEO_LIMITS, probeVideo } from '../frame-extractor';
import { UltraFaceDetector } from '../face-cropper/ultraface-detector';
import { FaceApiLandmarker, loadOpenCv } from '../face-cropper/landmarks';
import { ensureModel } from '../weights';
import { DEFAULT_CLIP_COUNT, DEFAULT_CLIP_FRAMES } from '../frame-extractor/clip-sampling';
import { videoClipLandmarks } from '../face-cropper/landmarks/video-clip-landmarks';
import { loadAverage, runMeasured } from './measure';
import { printTable } from './print-table';
import { repoRoot, sharedDir } from './sample-copies';

const HEADER = ['video', 'size', 'frames', 'clips with face', 'blocks', 'landmarks CPU s (node)', 'ffmpeg CPU s', 'LRNet CPU s', 'scan CPU s', 'lrnet-dfo mean', 'lrnet-ffpp mean'];

/** LRNet's demo videos, as named in ../shared/eval/labels.csv. */
const VIDEOS = ['real/lrnet_ff_real', 'fake/lrnet_ff_fake', 'real/lrnet_dfo_real', 'fake/lrnet_dfo_fake'];

function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** CPU seconds of the child processes this one has waited for (ffmpeg): cutime + cstime of /proc/self/stat. */
function childCpuSeconds(): number {
  // Fields after the command name, which is in parentheses and may hold spaces; cutime and cstime are the 16th and 17th fields.
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds of a default `deepsift scan` of one video, start-up and model loading included. */
async function scanCpuSeconds(file: string): Promise<string> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'deepsift-temporal-bench-'));
  try {
    const measured = await runMeasured(process.execPath, [path.join(repoRoot(), 'bin', 'deepsift.js'), 'scan', '-q', '-o', out, file]);
    return measured.cpuMs === undefined ? '-' : (measured.cpuMs / 1000).toFixed(2);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Runs the temporal path over the demo videos and prints one row per video. */
export async function runTemporalBench(clipCount = DEFAULT_CLIP_COUNT, clipFrames = DEFAULT_CLIP_FRAMES): Promise<void> {
  const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights') };
  const session = { executionProviders: ['cpu'], intraOpThreads: 1 };
  const [faceModel, landmarkModel, dfo, ffpp] = await Promise.all(['ultraface-rfb-640', 'faceapi-landmark68', 'lrnet-dfo', 'lrnet-ffpp'].map((name) => ensureModel(name, weights)));
  const faceDetector = await UltraFaceDetector.create(faceModel!.onnxPath, { width: 640, height: 480 }, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const landmarker = await FaceApiLandmarker.create(landmarkModel!.manifest, landmarkModel!.onnxPath, session);
  const detectors = await Promise.all([dfo!, ffpp!].map((m) => OnnxTemporalDetector.create(m.manifest, m.onnxPath, m.sha256, session)));
  const { cv } = await loadOpenCv();
  const rows: string[][] = [];
  for (const video of VIDEOS) {
    const file = path.join(sharedDir(), 'eval', `${video}.mp4`);
    const probe = await probeVideo(file, DEFAULT_VIDEO_LIMITS);
    const landmarksStart = process.cpuUsage();
    const ffmpegBefore = childCpuSeconds();
    const clips = await videoClipLandmarks(file, probe, { clipCount, clipFrames, limits: DEFAULT_VIDEO_LIMITS }, { faceDetector, landmarker, cv });
    const landmarkCpu = cpuSecondsSince(landmarksStart);
    const ffmpegCpu = childCpuSeconds() - ffmpegBefore;
    const lrnetStart = process.cpuUsage();
    const scores = await Promise.all(detectors.map((detector) => detector.scoreSequences(clips.flatMap((clip) => ('values' in clip ? [clip] : [])))));
    const lrnetCpu = cpuSecondsSince(lrnetStart);
    rows.push([
      path.basename(video), `${probe.width}×${probe.height}`, String(probe.frameCount),
      `${clips.filter((c) => c.frames > 0).length}/${clips.length}`, String(scores[0]!.blockScores.length),
      landmarkCpu.toFixed(2), ffmpegCpu.toFixed(2), lrnetCpu.toFixed(3), await scanCpuSeconds(file),
      ...scores.map((s) => s.meanBlockScore?.toFixed(3) ?? '–'),
    ]);
  }
  await Promise.all([faceDetector.close(), landmarker.close(), ...detectors.map((d) => d.close())]);
  process.stdout.write(`Temporal path: ${clipCount} clips × ${clipFrames} frames per video; load average ${loadAverage()}\n`);
  printTable([HEADER, ...rows]);
}
