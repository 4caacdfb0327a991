/**
 * The face cropper's batches of frames through the face detector (real UltraFace graph as
 * the fetcher rewrites it, real frames of the sample video): the faces of each frame are the
 * same in batches as frame by frame, and the frames do run together.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorage, type FaceDetection, type FrameRef } from '../common';
import { sharedDir } from '../test/video-fixtures';
import { ensureModel } from '../weights';
import { FaceDetectionBatches } from './face-detection-batches';
import type { FaceDetector } from './face-detector';
import { UltraFaceDetector } from './ultraface-detector';

const INPUT = { width: 640, height: 480 };
const SECONDS = [0.5, 2, 3.5, 5, 6.5, 8, 9.5];

/** Frames of the sample video resized by ffmpeg to the detector input, as the decode group stores them. */
async function storedFrames(storage: MemoryStorage): Promise<FrameRef[]> {
  const frames: FrameRef[] = [];
  for (const [sampleIndex, seconds] of SECONDS.entries()) {
    const args = ['-v', 'error', '-ss', String(seconds), '-i', path.join(sharedDir(), 'videos', 'interview_1080p.mp4'), '-frames:v', '1',
      '-vf', `scale=${INPUT.width}:${INPUT.height}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
    const key = `frames/${sampleIndex}.detect`;
    await storage.put(key, execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 }));
    frames.push({
      frameIndex: Math.round(seconds * 29.97),
      sampleIndex,
      ptsSeconds: seconds,
      blob: { key: `frames/${sampleIndex}`, format: 'yuv420p', width: 1920, height: 1080 },
      detectionBlob: { key, format: 'rgb24', ...INPUT },
    });
  }
  return frames;
}

describe('FaceDetectionBatches', () => {
  const storage = new MemoryStorage();
  let detector: UltraFaceDetector;
  let frames: FrameRef[];

  beforeAll(async () => {
    const model = await ensureModel('ultraface-rfb-640', {
      cacheDir: process.env.DEEPSIFT_CACHE_DIR ?? path.join(os.tmpdir(), 'deepsift-test-cache'),
      mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights'),
    });
    detector = await UltraFaceDetector.create(model.onnxPath, INPUT, { executionProviders: ['cpu'] });
    frames = await storedFrames(storage);
  });
  afterAll(() => detector?.close());

  /** The detector, recording into `runs` how many frames each of its runs takes. */
  function counting(runs: number[]): FaceDetector {
    return {
      name: detector.name,
      detect: (frame) => detector.detect(frame),
      close: async () => {},
      detectResized: (input, w, h) => (runs.push(1), detector.detectResized(input, w, h)),
      detectResizedBatch: (batch) => (runs.push(batch.length), detector.detectResizedBatch(batch)),
    };
  }

  /** Asks for every frame's faces in order, as the cropper does; records the frames per run. */
  async function facesInOrder(batchSize: number): Promise<{ faces: FaceDetection[][]; runs: number[] }> {
    const runs: number[] = [];
    const batches = new FaceDetectionBatches(counting(runs), frames, storage, batchSize);
    const faces: FaceDetection[][] = [];
    for (const frame of frames) {
      const blob = frame.detectionBlob!;
      faces.push(await batches.facesOf(frame, { data: await storage.get(blob.key), width: blob.width, height: blob.height, channels: 3 }));
    }
    return { faces, runs };
  }

  it('finds in batches of 3 the faces found frame by frame, in three runs of the detector for 7 frames', async () => {
    const single = await facesInOrder(1);
    const batched = await facesInOrder(3);
    expect(single.runs).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(batched.runs).toEqual([3, 3, 1]);
    expect(single.faces.map((f) => f.length)).toEqual(SECONDS.map(() => 1));
    batched.faces.forEach((faces, i) => {
      expect(faces).toHaveLength(single.faces[i]!.length);
      faces.forEach((face, j) => {
        const other = single.faces[i]![j]!;
        for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(face.box[k] - other.box[k])).toBeLessThan(1e-4);
        expect(Math.abs(face.score - other.score)).toBeLessThan(1e-4);
      });
    });
  });

  it('ends a batch at a frame no longer stored, and leaves that frame to the cropper', async () => {
    const gone = frames[2]!.detectionBlob!.key;
    const data = await storage.get(gone);
    await storage.delete(gone);
    try {
      const runs: number[] = [];
      const batches = new FaceDetectionBatches(counting(runs), frames, storage, 4);
      const first = frames[0]!.detectionBlob!;
      await batches.facesOf(frames[0]!, { data: await storage.get(first.key), width: first.width, height: first.height, channels: 3 });
      expect(runs).toEqual([2]);
    } finally {
      await storage.put(gone, data);
    }
  });
});
