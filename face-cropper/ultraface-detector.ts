import type { OnnxSessionLike } from '../common/onnx-worker-session';
import sharp from 'sharp';
import type { Box, FaceDetection, RawImage } from '../common/raw-image';
import { FaceCropperError } from './face-cropper-error';
import { assertRgbFrame, resolveFaceDetectorOptions, type FaceDetector, type FaceDetectorOptions, type ResizedFrame } from './face-detector';
import { nonMaxSuppression } from './non-max-suppression';
import { clamp, describeGraphMismatch, hasDynamicBatch, openDetectorSession, runDetectorSession } from './detector-session';

/** UltraFace normalisation, from the upstream repository's demos: value = (pixel - 127) / 128. */
const PIXEL_MEAN = 127;
const PIXEL_SCALE = 1 / 128;

/** Network input size of an UltraFace graph: RFB-640 is 640×480, RFB-320 is 320×240. */
export interface UltraFaceInputSize {
  width: number;
  height: number;
}

/**
 * UltraFace (Ultra-Light-Fast-Generic-Face-Detector-1MB, Linzaer) on ONNX Runtime.
 * One session per detector, created once and reused. Upstream's graph takes one frame per
 * run; the fetcher's rewrite makes its batch dynamic, and `detectResizedBatch` then runs
 * several frames at once (worth it on a GPU).
 */
export class UltraFaceDetector implements FaceDetector {
  readonly name: string;
  /** Execution providers asked of ONNX Runtime, in order of preference. */
  readonly executionProviders: readonly string[];
  /** The provider the session runs on: the first of the list that loaded. */
  readonly executionProvider: string;

  /** True when the graph takes several frames per run; `detectResizedBatch` runs them one by one otherwise. */
  readonly dynamicBatch: boolean;

  private session: OnnxSessionLike | undefined;

  private constructor(
    session: OnnxSessionLike,
    executionProvider: string,
    private readonly input: UltraFaceInputSize,
    private readonly options: FaceDetectorOptions,
  ) {
    this.session = session;
    this.name = `ultraface-rfb-${input.width}`;
    this.executionProviders = [...options.executionProviders];
    this.executionProvider = executionProvider;
    this.dynamicBatch = hasDynamicBatch(session, 'input');
  }

  /** Loads the ONNX graph at `modelPath` and checks that its input is `1×3×input.height×input.width`. */
  static async create(
    modelPath: string,
    input: UltraFaceInputSize,
    options: Partial<FaceDetectorOptions> = {},
  ): Promise<UltraFaceDetector> {
    const resolved = resolveFaceDetectorOptions(options);
    const name = `ultraface-rfb-${input.width}`;
    const { session, executionProvider } = await openDetectorSession(modelPath, resolved, name);
    const mismatch = describeGraphMismatch(session, { name: 'input', shape: [1, 3, input.height, input.width] }, ['scores', 'boxes']);
    if (mismatch !== undefined) {
      await session.release();
      throw new FaceCropperError('MODEL_INPUT_MISMATCH', `${modelPath}: ${mismatch}`, { detector: name });
    }
    return new UltraFaceDetector(session, executionProvider, input, resolved);
  }

  /** Resizes the frame to the network size (aspect not kept, as upstream does), runs the graph, decodes and suppresses. */
  async detect(frame: RawImage): Promise<FaceDetection[]> {
    const session = this.session;
    if (session === undefined) throw new FaceCropperError('DETECTOR_CLOSED', 'detector is closed', { detector: this.name });
    assertRgbFrame(frame, this.name);

    const { width, height } = this.input;
    // Bilinear, as upstream's demos (cv2.resize default); ~2 ms/frame faster than sharp's Lanczos-3 at 1080p.
    const resized = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const [faces] = await this.run(session, [{ input: { data: resized, width, height, channels: 3 }, frameWidth: frame.width, frameHeight: frame.height }]);
    return faces!;
  }

  /** The network's input size (width × height). */
  get inputSize(): UltraFaceInputSize {
    return { ...this.input };
  }

  /** Like `detect`, on a frame already resized to {@link inputSize} (e.g. by ffmpeg while decoding). */
  async detectResized(input: RawImage, frameWidth: number, frameHeight: number): Promise<FaceDetection[]> {
    const [faces] = await this.detectResizedBatch([{ input, frameWidth, frameHeight }]);
    return faces!;
  }

  /**
   * `detectResized` for several frames in one run of the graph (one run per frame when the
   * graph's batch is fixed): the faces of each frame, in order.
   */
  async detectResizedBatch(frames: readonly ResizedFrame[]): Promise<FaceDetection[][]> {
    const session = this.session;
    if (session === undefined) throw new FaceCropperError('DETECTOR_CLOSED', 'detector is closed', { detector: this.name });
    for (const { input } of frames) {
      assertRgbFrame(input, this.name);
      if (input.width !== this.input.width || input.height !== this.input.height) {
        throw new FaceCropperError('INVALID_FRAME', `frame is ${input.width}x${input.height}, not the network's ${this.input.width}x${this.input.height}`, { detector: this.name });
      }
    }
    if (this.dynamicBatch || frames.length <= 1) return this.run(session, frames);
    const faces: FaceDetection[][] = [];
    for (const frame of frames) faces.push(...(await this.run(session, [frame])));
    return faces;
  }

  private async run(session: OnnxSessionLike, frames: readonly ResizedFrame[]): Promise<FaceDetection[][]> {
    const { width, height } = this.input;
    const pixels = width * height;
    // Every element is written below, so a recycled buffer needs no clearing.
    const length = frames.length * 3 * pixels;
    const data = session.inputBuffer?.(length) ?? new Float32Array(length);
    frames.forEach((frame, i) => toNormalizedChw(frame.input.data, pixels, data.subarray(i * 3 * pixels, (i + 1) * 3 * pixels)));
    const tensor = { type: 'float32' as const, data, dims: [frames.length, 3, height, width] };
    const outputs = await runDetectorSession(session, { input: tensor }, this.name);
    const scores = outputs.scores.data as Float32Array;
    const boxes = outputs.boxes.data as Float32Array;
    const anchors = scores.length / 2 / frames.length;
    return frames.map((frame, i) => {
      const frameScores = scores.subarray(2 * anchors * i, 2 * anchors * (i + 1));
      const frameBoxes = boxes.subarray(4 * anchors * i, 4 * anchors * (i + 1));
      const candidates = this.decode(frameScores, frameBoxes, frame.frameWidth, frame.frameHeight);
      return nonMaxSuppression(candidates, this.options.iouThreshold, this.options.maxFaces);
    });
  }

  /** Releases the ONNX Runtime session; later calls do nothing. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }

  /** Keeps anchors whose face probability passes the threshold, in full-resolution pixels. */
  private decode(scores: Float32Array, boxes: Float32Array, frameWidth: number, frameHeight: number): FaceDetection[] {
    const { scoreThreshold, minFaceSizePx } = this.options;
    const found: FaceDetection[] = [];
    const anchors = scores.length / 2;
    for (let i = 0; i < anchors; i++) {
      const score = scores[2 * i + 1];
      if (score < scoreThreshold) continue;
      const box: Box = {
        x1: clamp(boxes[4 * i] * frameWidth, 0, frameWidth),
        y1: clamp(boxes[4 * i + 1] * frameHeight, 0, frameHeight),
        x2: clamp(boxes[4 * i + 2] * frameWidth, 0, frameWidth),
        y2: clamp(boxes[4 * i + 3] * frameHeight, 0, frameHeight),
      };
      if (Math.min(box.x2 - box.x1, box.y2 - box.y1) < minFaceSizePx) continue;
      found.push({ box, score });
    }
    return found;
  }
}

/**
 * Interleaved RGB bytes (HWC) to UltraFace's planar float input (CHW), normalised, written
 * into `chw` (one frame of a batch's tensor) or a new array. One pass over the pixels: this
 * loop runs on every sampled frame.
 */
export function toNormalizedChw(rgb: Buffer, pixelCount: number, chw: Float32Array = new Float32Array(3 * pixelCount)): Float32Array {
  const greenPlane = pixelCount;
  const bluePlane = 2 * pixelCount;
  for (let i = 0, p = 0; i < pixelCount; i++, p += 3) {
    chw[i] = (rgb[p] - PIXEL_MEAN) * PIXEL_SCALE;
    chw[greenPlane + i] = (rgb[p + 1] - PIXEL_MEAN) * PIXEL_SCALE;
    chw[bluePlane + i] = (rgb[p + 2] - PIXEL_MEAN) * PIXEL_SCALE;
  }
  return chw;
}
