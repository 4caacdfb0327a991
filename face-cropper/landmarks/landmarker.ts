/** What places a face's 68 iBUG points, whichever net does it (face-api's, FaceMesh's). */
import type { Box, RawImage } from '../../common/raw-image';
import type { FrameShape } from './lrnet-face-plan';

/** The landmark nets deepsift can use for LRNet, by the name `--landmark-model` and `DEEPSIFT_LANDMARK_MODEL` take. */
export const LANDMARK_MODELS = { faceapi: 'faceapi-landmark68', facemesh: 'facemesh-landmark468' } as const;

/** A landmark net's short name (`faceapi`, `facemesh`). */
export type LandmarkModelName = keyof typeof LANDMARK_MODELS;

/** One landmark net behind one session. */
export interface Landmarker {
  /** The ONNX Runtime execution provider it runs on. */
  readonly executionProvider: string;
  /** The 68 points (iBUG 300-W order) of the face in `box` of `frame`, in frame pixels, truncated to integers. */
  locate(frame: RawImage, box: Box): Promise<FrameShape>;
  close(): Promise<void>;
}
