import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Box, FaceDetection, RawImage } from '../common/raw-image';
import { ensureModel } from '../weights';
import { FaceCropperError } from './face-cropper-error';
import { iou } from './non-max-suppression';
import type { ResizedFrame } from './face-detector';
import { UltraFaceDetector } from './ultraface-detector';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');
const modelPath = (file: string): string => path.join(sharedDir, 'weights', 'ultraface', file);

const models = [
  { file: 'version-RFB-640.onnx', input: { width: 640, height: 480 } },
  { file: 'version-RFB-320.onnx', input: { width: 320, height: 240 } },
];

/** One 1080p frame of the interview video, decoded by ffmpeg to raw RGB. */
function interviewFrame(seconds: number): RawImage {
  const video = path.join(sharedDir, 'videos', 'interview_1080p.mp4');
  const args = ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const data = execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 });
  return { data, width: 1920, height: 1080, channels: 3 };
}

/** A 1280×720 grey canvas with a face crop scaled to `region` and composited there. */
async function faceOnCanvas(file: string, region: Box): Promise<RawImage> {
  const width = region.x2 - region.x1;
  const height = region.y2 - region.y1;
  const face = await sharp(file).resize(width, height, { fit: 'fill' }).toBuffer();
  const data = await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite([{ input: face, left: region.x1, top: region.y1 }])
    .removeAlpha() // composite adds an alpha channel
    .raw()
    .toBuffer();
  return { data, width: 1280, height: 720, channels: 3 };
}

describe.each(models)('UltraFaceDetector $file', ({ file, input }) => {
  let detector: UltraFaceDetector;

  beforeAll(async () => {
    detector = await UltraFaceDetector.create(modelPath(file), input, { executionProviders: ['cpu'] });
  });
  afterAll(() => detector.close());

  it('finds exactly the speaker in a frame of the interview', async () => {
    const faces = await detector.detect(interviewFrame(3));
    expect(faces).toHaveLength(1);
    const [{ box, score }] = faces;
    expect(score).toBeGreaterThan(0.9);
    expect(box.x1).toBeGreaterThanOrEqual(0);
    expect(box.y1).toBeGreaterThanOrEqual(0);
    expect(box.x2).toBeLessThanOrEqual(1920);
    expect(box.y2).toBeLessThanOrEqual(1080);
    // A talking head: a face between 5% and 50% of the frame height, roughly as wide as tall.
    const width = box.x2 - box.x1;
    const height = box.y2 - box.y1;
    expect(height).toBeGreaterThan(0.05 * 1080);
    expect(height).toBeLessThan(0.5 * 1080);
    expect(width / height).toBeGreaterThan(0.5);
    expect(width / height).toBeLessThan(1.5);
  });

  it('finds a face pasted on a grey canvas where it was pasted', async () => {
    const region = { x1: 700, y1: 200, x2: 956, y2: 456 };
    const faces = await detector.detect(await faceOnCanvas(path.join(sharedDir, 'faces', 'real', 'real00240.jpg'), region));
    expect(faces).toHaveLength(1);
    expect(iou(faces[0].box, region)).toBeGreaterThan(0.5);
  });

  it('finds no face in a blank frame', async () => {
    const blank: RawImage = { data: Buffer.alloc(1280 * 720 * 3, 128), width: 1280, height: 720, channels: 3 };
    expect(await detector.detect(blank)).toEqual([]);
  });

  it('rejects a frame whose data does not match its size', async () => {
    const broken: RawImage = { data: Buffer.alloc(10), width: 1280, height: 720, channels: 3 };
    await expect(detector.detect(broken)).rejects.toMatchObject({ name: 'FaceCropperError', code: 'INVALID_FRAME' });
  });
});

describe('UltraFaceDetector.create', () => {
  it('names the model after its input and exposes the requested execution provider', async () => {
    const detector = await UltraFaceDetector.create(modelPath('version-RFB-320.onnx'), { width: 320, height: 240 }, {});
    expect(detector.name).toBe('ultraface-rfb-320');
    expect(detector.executionProvider).toBe('cpu');
    await detector.close();
    await detector.close(); // idempotent
    await expect(detector.detect(interviewFrame(1))).rejects.toMatchObject({ code: 'DETECTOR_CLOSED' });
  });

  it('refuses an input size that is not the graph’s', async () => {
    await expect(UltraFaceDetector.create(modelPath('version-RFB-640.onnx'), { width: 320, height: 240 }, {})).rejects.toMatchObject({
      code: 'MODEL_INPUT_MISMATCH',
    });
  });

  it('fails with MODEL_LOAD_FAILED for a missing file and INVALID_OPTIONS for a bad option', async () => {
    await expect(UltraFaceDetector.create(modelPath('missing.onnx'), { width: 320, height: 240 }, {})).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });
    await expect(
      UltraFaceDetector.create(modelPath('version-RFB-320.onnx'), { width: 320, height: 240 }, { scoreThreshold: 2 }),
    ).rejects.toBeInstanceOf(FaceCropperError);
  });
});

/** `frame` resized to the network input as the decode group's ffmpeg pass would hand it over. */
async function resizedFrame(frame: RawImage, input: { width: number; height: number }): Promise<ResizedFrame> {
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize(input.width, input.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { input: { data, width: input.width, height: input.height, channels: 3 }, frameWidth: frame.width, frameHeight: frame.height };
}

/** The largest difference between two frames' detections (box corners in pixels, scores); Infinity when the counts differ. */
function maxDifference(a: FaceDetection[], b: FaceDetection[]): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  a.forEach((face, i) => {
    const other = b[i]!;
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) max = Math.max(max, Math.abs(face.box[k] - other.box[k]));
    max = Math.max(max, Math.abs(face.score - other.score));
  });
  return max;
}

describe('UltraFaceDetector batches of frames (the fetched graph, its batch made dynamic)', () => {
  const input = { width: 640, height: 480 };
  let batched: UltraFaceDetector;
  let upstream: UltraFaceDetector;
  let frames: ResizedFrame[];

  beforeAll(async () => {
    const model = await ensureModel('ultraface-rfb-640', {
      cacheDir: process.env.DEEPSIFT_CACHE_DIR ?? path.join(os.tmpdir(), 'deepsift-test-cache'),
      mirrorDir: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir, 'weights'),
    });
    batched = await UltraFaceDetector.create(model.onnxPath, input, { executionProviders: ['cpu'] });
    upstream = await UltraFaceDetector.create(modelPath('version-RFB-640.onnx'), input, { executionProviders: ['cpu'] });
    const canvas = await faceOnCanvas(path.join(sharedDir, 'faces', 'df', 'df00204.jpg'), { x1: 200, y1: 100, x2: 500, y2: 400 });
    frames = await Promise.all([interviewFrame(1), interviewFrame(4), canvas, interviewFrame(7), interviewFrame(9.5)].map((f) => resizedFrame(f, input)));
  });
  afterAll(async () => {
    await batched?.close();
    await upstream?.close();
  });

  it('runs several frames at once only with the rewritten graph', () => {
    expect(batched.dynamicBatch).toBe(true);
    expect(upstream.dynamicBatch).toBe(false);
  });

  it('finds in a batch of frames the same faces as frame by frame, and as the upstream graph', async () => {
    const together = await batched.detectResizedBatch(frames);
    const oneByOne: FaceDetection[][] = [];
    for (const f of frames) oneByOne.push(await batched.detectResized(f.input, f.frameWidth, f.frameHeight));
    const upstreamFaces = await upstream.detectResizedBatch(frames);

    expect(together.map((faces) => faces.length)).toEqual([1, 1, 1, 1, 1]);
    together.forEach((faces, i) => {
      expect(maxDifference(faces, oneByOne[i]!)).toBeLessThan(1e-4);
      // Folding the weights into the convolutions rounds differently: ~1e-4 px at 1080p.
      expect(maxDifference(faces, upstreamFaces[i]!)).toBeLessThan(1e-2);
    });
  });
});
