import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../common/raw-image';
import { BlazeFaceDetector } from './blazeface-detector';
import { iou } from './non-max-suppression';
import { UltraFaceDetector } from './ultraface-detector';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');

function interviewFrame(seconds: number): RawImage {
  const video = path.join(sharedDir, 'videos', 'interview_1080p.mp4');
  const args = ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return { data: execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 }), width: 1920, height: 1080, channels: 3 };
}

describe('BlazeFaceDetector (front 128×128)', () => {
  let blazeFace: BlazeFaceDetector;
  let ultraFace: UltraFaceDetector;

  beforeAll(async () => {
    blazeFace = await BlazeFaceDetector.create(path.join(sharedDir, 'weights', 'blazeface', 'face_detection_front_128x128_barracuda.onnx'));
    ultraFace = await UltraFaceDetector.create(path.join(sharedDir, 'weights', 'ultraface', 'version-RFB-640.onnx'), { width: 640, height: 480 });
  });
  afterAll(async () => {
    await blazeFace.close();
    await ultraFace.close();
  });

  it('finds the speaker where UltraFace finds them', async () => {
    for (const seconds of [1, 5, 9]) {
      const frame = interviewFrame(seconds);
      const faces = await blazeFace.detect(frame);
      const [reference] = await ultraFace.detect(frame);
      expect(faces).toHaveLength(1);
      expect(iou(faces[0].box, reference.box)).toBeGreaterThan(0.5);
    }
  });

  it('finds a face pasted on a grey canvas where it was pasted, despite letterboxing', async () => {
    const region = { x1: 500, y1: 60, x2: 900, y2: 460 };
    const face = await sharp(path.join(sharedDir, 'faces', 'real', 'real00240.jpg')).resize(400, 400).toBuffer();
    const data = await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: face, left: region.x1, top: region.y1 }])
      .removeAlpha()
      .raw()
      .toBuffer();
    const faces = await blazeFace.detect({ data, width: 1280, height: 720, channels: 3 });
    expect(faces).toHaveLength(1);
    expect(iou(faces[0].box, region)).toBeGreaterThan(0.5);
  });

  it('finds no face in a blank frame', async () => {
    expect(await blazeFace.detect({ data: Buffer.alloc(1280 * 720 * 3, 128), width: 1280, height: 720, channels: 3 })).toEqual([]);
  });

  it('refuses a graph that is not the front model', async () => {
    await expect(
      BlazeFaceDetector.create(path.join(sharedDir, 'weights', 'blazeface', 'face_detection_back_256x256_barracuda.onnx')),
    ).rejects.toMatchObject({ code: 'MODEL_INPUT_MISMATCH' });
  });
});
