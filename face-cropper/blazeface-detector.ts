import type { OnnxSessionLike } from '../common/onnx-worker-session';
import sharp from 'sharp';
import type { FaceDetection, RawImage } from '../common/raw-image';
import { FaceCropperError } from './face-cropper-error';
import { assertRgbFrame, resolveFaceDetectorOptions, type FaceDetector, type FaceDetectorOptions } from './face-detector';
import { nonMaxSuppression } from './non-max-suppression';
import { clamp, describeGraphMismatch, openDetectorSession, runDetectorSession } from './detector-session';

/** The front (short-range) model's square input side, in pixels. */
const INPUT_SIZE = 128;
const INPUT_NAME = 'input:0';
/** Score and box outputs of the stride-8 (16×16 grid, 2 anchors/cell) and stride-16 (8×8, 6 anchors/cell) heads. */
const HEADS = [
  { scores: 'Identity:0', boxes: 'Identity_2:0', grid: 16, anchorsPerCell: 2 },
  { scores: 'Identity_1:0', boxes: 'Identity_3:0', grid: 8, anchorsPerCell: 6 },
] as const;
/** Values per anchor in the box outputs: centre offset, size, then six keypoints (unused here). */
const BOX_STRIDE = 16;
/** MediaPipe clips raw scores to ±100 before the sigmoid (face_detection_short_range calculator options). */
const SCORE_CLIP = 100;

/**
 * MediaPipe BlazeFace, front (short-range) 128×128 model, on ONNX Runtime (the Barracuda ONNX
 * conversion, NHWC input in [-1, 1]). Meant for faces that fill a good part of the frame (selfie
 * and talking-head range); far-away faces are UltraFace's job. The frame is letterboxed to keep
 * its aspect ratio, anchors follow MediaPipe's SSD anchor options (strides 8, 16, 16, 16; fixed
 * anchor size), and overlapping boxes are removed with greedy NMS instead of MediaPipe's weighted NMS.
 */
export class BlazeFaceDetector implements FaceDetector {
  readonly name = 'blazeface-front-128';
  /** Execution providers asked of ONNX Runtime, in order of preference. */
  readonly executionProviders: readonly string[];
  /** The provider the session runs on: the first of the list that loaded. */
  readonly executionProvider: string;

  private session: OnnxSessionLike | undefined;
  private static readonly anchorCentres = buildAnchorCentres();

  private constructor(
    session: OnnxSessionLike,
    executionProvider: string,
    private readonly options: FaceDetectorOptions,
  ) {
    this.session = session;
    this.executionProviders = [...options.executionProviders];
    this.executionProvider = executionProvider;
  }

  /** Loads `face_detection_front_128x128_barracuda.onnx` (or a graph with the same inputs and outputs). */
  static async create(modelPath: string, options: Partial<FaceDetectorOptions> = {}): Promise<BlazeFaceDetector> {
    const resolved = resolveFaceDetectorOptions(options);
    const name = 'blazeface-front-128';
    const { session, executionProvider } = await openDetectorSession(modelPath, resolved, name);
    const outputs = HEADS.flatMap((h) => [h.scores, h.boxes]);
    const mismatch = describeGraphMismatch(session, { name: INPUT_NAME, shape: [1, INPUT_SIZE, INPUT_SIZE, 3] }, outputs);
    if (mismatch !== undefined) {
      await session.release();
      throw new FaceCropperError('MODEL_INPUT_MISMATCH', `${modelPath}: ${mismatch}`, { detector: name });
    }
    return new BlazeFaceDetector(session, executionProvider, resolved);
  }

  /** Letterboxes the frame to 128×128, runs the graph, decodes against the anchors and suppresses. */
  async detect(frame: RawImage): Promise<FaceDetection[]> {
    const session = this.session;
    if (session === undefined) throw new FaceCropperError('DETECTOR_CLOSED', 'detector is closed', { detector: this.name });
    assertRgbFrame(frame, this.name);

    const fitScale = Math.min(INPUT_SIZE / frame.width, INPUT_SIZE / frame.height);
    const innerWidth = Math.max(1, Math.round(frame.width * fitScale));
    const innerHeight = Math.max(1, Math.round(frame.height * fitScale));
    const left = Math.floor((INPUT_SIZE - innerWidth) / 2);
    const top = Math.floor((INPUT_SIZE - innerHeight) / 2);
    const letterboxed = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .resize(innerWidth, innerHeight, { fit: 'fill', kernel: 'linear' })
      .extend({
        top,
        bottom: INPUT_SIZE - innerHeight - top,
        left,
        right: INPUT_SIZE - innerWidth - left,
        background: { r: 0, g: 0, b: 0 },
      })
      .raw()
      .toBuffer();
    const input = new Float32Array(letterboxed.length);
    for (let i = 0; i < letterboxed.length; i++) input[i] = letterboxed[i] / 127.5 - 1;

    const outputs = await runDetectorSession(session, { [INPUT_NAME]: { type: 'float32', data: input, dims: [1, INPUT_SIZE, INPUT_SIZE, 3] } }, this.name);
    // Input pixels → frame pixels: undo the padding, then the resize, per axis.
    const toFrame = {
      x: (v: number): number => clamp(((v - left) * frame.width) / innerWidth, 0, frame.width),
      y: (v: number): number => clamp(((v - top) * frame.height) / innerHeight, 0, frame.height),
    };
    const candidates: FaceDetection[] = [];
    let anchor = 0;
    for (const head of HEADS) {
      const scores = outputs[head.scores].data as Float32Array;
      const boxes = outputs[head.boxes].data as Float32Array;
      for (let i = 0; i < scores.length; i++, anchor++) {
        const score = 1 / (1 + Math.exp(-clamp(scores[i], -SCORE_CLIP, SCORE_CLIP)));
        if (score < this.options.scoreThreshold) continue;
        const [anchorX, anchorY] = BlazeFaceDetector.anchorCentres[anchor];
        // Offsets and sizes are in input pixels, relative to the anchor centre.
        const centreX = anchorX * INPUT_SIZE + boxes[BOX_STRIDE * i];
        const centreY = anchorY * INPUT_SIZE + boxes[BOX_STRIDE * i + 1];
        const halfWidth = boxes[BOX_STRIDE * i + 2] / 2;
        const halfHeight = boxes[BOX_STRIDE * i + 3] / 2;
        const box = {
          x1: toFrame.x(centreX - halfWidth),
          y1: toFrame.y(centreY - halfHeight),
          x2: toFrame.x(centreX + halfWidth),
          y2: toFrame.y(centreY + halfHeight),
        };
        if (Math.min(box.x2 - box.x1, box.y2 - box.y1) < this.options.minFaceSizePx) continue;
        candidates.push({ box, score });
      }
    }
    return nonMaxSuppression(candidates, this.options.iouThreshold, this.options.maxFaces);
  }

  /** Releases the ONNX Runtime session; later calls do nothing. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }
}

/** Anchor centres in [0, 1], in the order of the concatenated head outputs (row-major cells, anchors within a cell). */
function buildAnchorCentres(): Array<[number, number]> {
  const centres: Array<[number, number]> = [];
  for (const { grid, anchorsPerCell } of HEADS) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let a = 0; a < anchorsPerCell; a++) centres.push([(x + 0.5) / grid, (y + 0.5) / grid]);
      }
    }
  }
  return centres;
}
