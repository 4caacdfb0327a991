import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { OnnxTemporalDetector, type LandmarkSequence } from '../../detector-workers';
import { DEFAULT_CLIP_COUNT, DEFAULT_CLIP_FRAMES } from '../../frame-extractor/clip-sampling';
import { probeVideo } from '../../frame-extractor/probe-video';
import { DEFAULT_VIDEO_LIMITS } from '../../frame-extractor/video-limits';
import { makeFaceVideo, makeTempDir, makeTestClip, sharedDir } from '../../test/video-fixtures';
import { ensureModel } from '../../weights';
import { UltraFaceDetector } from '../ultraface-detector';
import type { ClipLandmarkDeps } from './clip-landmarks';
import { createLandmarker } from './create-landmarker';
import { FaceApiLandmarker } from './faceapi-landmarker';
import { loadOpenCv } from './opencv';
import { videoClipLandmarks, type VideoClipLandmarks } from './video-clip-landmarks';

const weights = { mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights') };
const session = { executionProviders: ['cpu'], intraOpThreads: 1 };
const clipOptions = { clipCount: DEFAULT_CLIP_COUNT, clipFrames: DEFAULT_CLIP_FRAMES, limits: DEFAULT_VIDEO_LIMITS };

function sequences(clips: VideoClipLandmarks[]): LandmarkSequence[] {
  return clips.flatMap((clip) => ('values' in clip ? [clip] : []));
}

describe('videoClipLandmarks (the temporal path: dense clips, tracked faces, calibrated landmarks)', () => {
  let deps: ClipLandmarkDeps;
  let lrnet: OnnxTemporalDetector;
  let dir: string;

  beforeAll(async () => {
    const [faceModel, landmarkModel, lrnetModel] = await Promise.all(['ultraface-rfb-640', 'faceapi-landmark68', 'lrnet-ffpp'].map((name) => ensureModel(name, weights)));
    deps = {
      faceDetector: await UltraFaceDetector.create(faceModel!.onnxPath, { width: 640, height: 480 }, { executionProviders: ['cpu'], intraOpNumThreads: 1 }),
      landmarker: await FaceApiLandmarker.create(landmarkModel!.manifest, landmarkModel!.onnxPath, session),
      cv: (await loadOpenCv()).cv,
    };
    lrnet = await OnnxTemporalDetector.create(lrnetModel!.manifest, lrnetModel!.onnxPath, lrnetModel!.sha256, session);
    dir = await makeTempDir();
  });
  afterAll(async () => {
    await Promise.all([deps?.faceDetector.close(), deps?.landmarker.close(), lrnet?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lets lrnet-ffpp score both of LRNet's demo fakes above both demo reals", async () => {
    const meanScore: Record<string, number> = {};
    for (const video of ['real/lrnet_ff_real', 'fake/lrnet_ff_fake', 'real/lrnet_dfo_real', 'fake/lrnet_dfo_fake']) {
      const file = path.join(sharedDir(), 'eval', `${video}.mp4`);
      const clips = await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), clipOptions, deps);
      expect(clips.map((clip) => clip.frames)).toEqual(Array(DEFAULT_CLIP_COUNT).fill(DEFAULT_CLIP_FRAMES));
      meanScore[path.basename(video)] = (await lrnet.scoreSequences(sequences(clips))).meanBlockScore!;
    }
    const lowestFake = Math.min(meanScore['lrnet_ff_fake']!, meanScore['lrnet_dfo_fake']!);
    const highestReal = Math.max(meanScore['lrnet_ff_real']!, meanScore['lrnet_dfo_real']!);
    expect(lowestFake).toBeGreaterThan(highestReal);
    // Sixteen clips of landmarks on a 2-core machine shared with other runs.
  }, 300_000);

  it("with FaceMesh's landmarks (DEEPSIFT_LANDMARK_MODEL=facemesh) also lets lrnet-ffpp score both demo fakes above both demo reals", async () => {
    const meshModel = await ensureModel('facemesh-landmark468', weights);
    const landmarker = await createLandmarker('facemesh', meshModel, session);
    try {
      const meanScore: Record<string, number> = {};
      for (const video of ['real/lrnet_ff_real', 'fake/lrnet_ff_fake', 'real/lrnet_dfo_real', 'fake/lrnet_dfo_fake']) {
        const file = path.join(sharedDir(), 'eval', `${video}.mp4`);
        const clips = await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), clipOptions, { ...deps, landmarker });
        meanScore[path.basename(video)] = (await lrnet.scoreSequences(sequences(clips))).meanBlockScore!;
      }
      expect(Math.min(meanScore['lrnet_ff_fake']!, meanScore['lrnet_dfo_fake']!)).toBeGreaterThan(Math.max(meanScore['lrnet_ff_real']!, meanScore['lrnet_dfo_real']!));
    } finally {
      await landmarker.close();
    }
  }, 300_000);

  it('follows a face that moves through the clip', async () => {
    const file = await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), path.join(dir, 'moving.mp4'), { seconds: 4 });
    const clips = await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), clipOptions, deps);
    expect(clips).toHaveLength(1);
    expect(clips[0]!.frames).toBe(DEFAULT_CLIP_FRAMES);
  });

  it('says NO_FACE for clips without a face', async () => {
    const file = await makeTestClip(path.join(dir, 'pattern.mp4'), { width: 320, height: 240, frames: 200, fps: 25 });
    const clips = await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), clipOptions, deps);
    expect(clips.length).toBeGreaterThan(0);
    expect(clips.map((clip) => ('reason' in clip ? clip.reason : 'landmarks'))).toEqual(clips.map(() => 'NO_FACE'));
  });

  it('takes no clip from a video shorter than one clip', async () => {
    const file = await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00240.jpg'), path.join(dir, 'short.mp4'), { seconds: 2 });
    expect(await videoClipLandmarks(file, await probeVideo(file, DEFAULT_VIDEO_LIMITS), clipOptions, deps)).toEqual([]);
  });
});
