/**
 * 68 facial landmarks per face with face-api's landmark net (`faceapi-landmark68`): the
 * face box is squared (plus a margin), cut out, resized to 112×112 and normalised as
 * face-api does; the points come back in frame pixels, truncated to integers as upstream
 * LRNet's `shape.astype(int)`.
 */
import { createModelSession, type OnnxSessionLike, type OnnxSessionOptions } from '../../common';
import type { Box, RawImage } from '../../common/raw-image';
import type { ImageModelManifest, ModelManifest } from '../../weights/manifest';
import { cropFace, squareCropBox } from '../face-crop';
import type { Landmarker } from './landmarker';
import { POINTS, type FrameShape } from './lrnet-face-plan';

/** Margin around the detector's box, as a fraction of its longer side (chosen on the demo videos, see README). */
export const DEFAULT_LANDMARK_CROP_MARGIN = 0.1;

/** face-api's landmark net behind one ONNX session; `locate` gives one face's 68 points. */
export class FaceApiLandmarker implements Landmarker {
  private constructor(
    private readonly manifest: ImageModelManifest,
    private readonly session: OnnxSessionLike,
    readonly executionProvider: string,
    private readonly cropMargin: number,
  ) {}

  /** Loads the converted `faceapi-landmark68` graph. */
  static async create(
    manifest: ModelManifest,
    onnxPath: string,
    options: OnnxSessionOptions & { cropMargin?: number },
  ): Promise<FaceApiLandmarker> {
    if (manifest.kind !== 'landmark-model') throw new Error(`model "${manifest.name}" is not a landmark model`);
    const { session, executionProvider } = await createModelSession(manifest, onnxPath, options);
    return new FaceApiLandmarker(manifest, session, executionProvider, options.cropMargin ?? DEFAULT_LANDMARK_CROP_MARGIN);
  }

  /** The 68 points of the face in `box` of `frame`, in frame pixels. */
  async locate(frame: RawImage, box: Box): Promise<FrameShape> {
    const { input } = this.manifest;
    const square = squareCropBox(box, this.cropMargin, frame.width, frame.height);
    const crop = await cropFace(frame, box, { marginRatio: this.cropMargin, size: input.width });
    const data = new Float32Array(input.width * input.height * 3);
    for (let index = 0; index < data.length; index += 1) {
      data[index] = (crop.data[index]! * input.scale - input.mean[index % 3]!) / input.std[index % 3]!;
    }
    const results = await this.session.run({ [input.name]: { type: 'float32', data, dims: [1, input.height, input.width, 3] } });
    const values = Object.values(results)[0]?.data;
    if (!values || values.length !== 2 * POINTS) throw new Error(`model "${this.manifest.name}" returned ${values?.length ?? 0} values, expected ${2 * POINTS}`);
    const side = square.x2 - square.x1;
    const shape = new Int32Array(2 * POINTS);
    for (let p = 0; p < POINTS; p += 1) {
      shape[2 * p] = Math.trunc(square.x1 + values[2 * p]! * side);
      shape[2 * p + 1] = Math.trunc(square.y1 + values[2 * p + 1]! * side);
    }
    return shape;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
