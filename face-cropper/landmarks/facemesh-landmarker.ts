/**
 * 68 facial landmarks per face with MediaPipe FaceMesh (`facemesh-landmark468`): the face
 * box is squared with MediaPipe's margin (its region of interest is the detection box
 * enlarged 1.5×, `face_detection_front_detection_to_roi`), cut out, resized to 192×192 and
 * scaled to [−1, 1] as keijiro's FaceLandmarkBarracuda does (`Preprocess.compute`:
 * `rgb * 2 - 1`, first row = top of the image); the 468 points come back in crop pixels
 * (`Postprocess.compute` divides by 192), are mapped to iBUG's 68 (facemesh-ibug68.ts) and
 * returned in frame pixels, truncated to integers as face-api's are.
 */
import { createModelSession, type OnnxSessionLike, type OnnxSessionOptions } from '../../common';
import type { Box, RawImage } from '../../common/raw-image';
import type { ImageModelManifest, ModelManifest } from '../../weights/manifest';
import { toInputTensor } from '../../detector-workers/preprocess';
import { cropFace, squareCropBox } from '../face-crop';
import { FACEMESH_TO_IBUG68 } from './facemesh-ibug68';
import type { Landmarker } from './landmarker';
import { POINTS, type FrameShape } from './lrnet-face-plan';

/** Margin each side of the face box: 0.25 makes the 1.5× square MediaPipe crops for FaceMesh. */
export const DEFAULT_FACEMESH_CROP_MARGIN = 0.25;

/** FaceMesh's vertices, x, y and z each. */
const MESH_VERTICES = 468;

/** FaceMesh behind one ONNX session; `locate` gives one face's 68 iBUG points. */
export class FaceMeshLandmarker implements Landmarker {
  private constructor(
    private readonly manifest: ImageModelManifest,
    private readonly session: OnnxSessionLike,
    readonly executionProvider: string,
    private readonly cropMargin: number,
  ) {}

  /** Loads `facemesh-landmark468`'s graph. */
  static async create(manifest: ModelManifest, onnxPath: string, options: OnnxSessionOptions & { cropMargin?: number }): Promise<FaceMeshLandmarker> {
    if (manifest.kind !== 'landmark-model') throw new Error(`model "${manifest.name}" is not a landmark model`);
    const { session, executionProvider } = await createModelSession(manifest, onnxPath, options);
    return new FaceMeshLandmarker(manifest, session, executionProvider, options.cropMargin ?? DEFAULT_FACEMESH_CROP_MARGIN);
  }

  /** The 68 points of the face in `box` of `frame`, in frame pixels. */
  async locate(frame: RawImage, box: Box): Promise<FrameShape> {
    const { input } = this.manifest;
    const side = input.width;
    const square = squareCropBox(box, this.cropMargin, frame.width, frame.height);
    const crop = await cropFace(frame, box, { marginRatio: this.cropMargin, size: side });
    // As the manifest says (NCHW, [−1, 1]), into an input buffer the session gave back.
    const { data, dims } = toInputTensor([crop], input, (length) => this.session.inputBuffer?.(length) ?? new Float32Array(length));
    const results = await this.session.run({ [input.name]: { type: 'float32', data, dims } });
    const mesh = Object.values(results).find((output) => output.data.length === 3 * MESH_VERTICES)?.data;
    if (!mesh) throw new Error(`model "${this.manifest.name}" returned no output of ${3 * MESH_VERTICES} values`);
    const scale = (square.x2 - square.x1) / side;
    const shape = new Int32Array(2 * POINTS);
    for (let p = 0; p < POINTS; p += 1) {
      const vertex = FACEMESH_TO_IBUG68[p]!;
      shape[2 * p] = Math.trunc(square.x1 + Number(mesh[3 * vertex]) * scale);
      shape[2 * p + 1] = Math.trunc(square.y1 + Number(mesh[3 * vertex + 1]) * scale);
    }
    return shape;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
