import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { RawImage } from '../common/raw-image';
import { EarlyFaceDetection } from './early-face-detection';
import { UltraFaceDetector } from './ultraface-detector';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');
const INPUT = { width: 640, height: 480 };

/** A frame of the interview video as the frame extractor hands it to the detector: resized by ffmpeg to the network's input. */
function resizedFrame(seconds: number): RawImage {
  const video = path.join(sharedDir, 'videos', 'interview_1080p.mp4');
  const args = ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-vf', `scale=${INPUT.width}:${INPUT.height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return { data: execFileSync('ffmpeg', args, { maxBuffer: 16 << 20 }), ...INPUT, channels: 3 };
}

describe('EarlyFaceDetection', () => {
  let detector: UltraFaceDetector;
  const runs: RawImage[] = [];
  // The real detector, with each run's input noted.
  const counted = {
    detectResized(input: RawImage, frameWidth: number, frameHeight: number) {
      runs.push(input);
      return detector.detectResized(input, frameWidth, frameHeight);
    },
  };

  beforeAll(async () => {
    detector = await UltraFaceDetector.create(path.join(sharedDir, 'weights', 'ultraface', 'version-RFB-640.onnx'), INPUT, { executionProviders: ['cpu'] });
  });
  afterAll(() => detector.close());
  beforeEach(() => (runs.length = 0));

  it('gives the faces the detector finds in each announced frame, running them in the order they were decoded', async () => {
    const frames = [1, 4, 7].map(resizedFrame);
    const early = new EarlyFaceDetection(counted);
    frames.forEach((frame, i) => early.decoded(`frames/${i}`, frame, 1920, 1080));
    const taken = await Promise.all(frames.map((_, i) => early.take(`frames/${i}`)!));
    for (const [i, frame] of frames.entries()) expect(taken[i]).toEqual(await detector.detectResized(frame, 1920, 1080));
    expect(taken.every((faces) => faces.length === 1)).toBe(true);
    expect(runs.slice(0, 3)).toEqual(frames);
    expect(early.size).toBe(0);
    expect(early.take('frames/0')).toBeUndefined();
  });

  it('never runs a frame dropped before its turn, so that its buffer can be reused at once', async () => {
    const frames = [2, 5, 8].map(resizedFrame);
    const early = new EarlyFaceDetection(counted);
    frames.forEach((frame, i) => early.decoded(`frames/${i}`, frame, 1920, 1080));
    // The first is running; the second is dropped and its buffer refilled, as a deleted frame's would be.
    early.dropped(['frames/1']);
    frames[1]!.data.fill(0);
    const [first, third] = await Promise.all([early.take('frames/0')!, early.take('frames/2')!]);
    expect(early.take('frames/1')).toBeUndefined();
    expect(runs).toEqual([frames[0], frames[2]]);
    expect(first).toHaveLength(1);
    expect(third).toHaveLength(1);
  });

  it('runs a frame announced again under the same key (another attempt at the video) once, with its new pixels', async () => {
    const early = new EarlyFaceDetection(counted);
    const blank: RawImage = { data: Buffer.alloc(INPUT.width * INPUT.height * 3), ...INPUT, channels: 3 };
    early.decoded('frames/0', resizedFrame(3), 1920, 1080);
    early.decoded('frames/1', blank, 1920, 1080);
    early.decoded('frames/1', resizedFrame(6), 1920, 1080);
    expect(await early.take('frames/1')!).toHaveLength(1);
    expect(runs).not.toContain(blank);
    expect(runs).toHaveLength(2);
  });
});
