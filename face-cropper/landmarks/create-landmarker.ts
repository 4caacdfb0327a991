/** Loading the landmark net LRNet's landmarks are placed with, chosen by its short name. */
import type { OnnxSessionOptions } from '../../common';
import type { ModelManifest } from '../../weights/manifest';
import { FaceApiLandmarker } from './faceapi-landmarker';
import { FaceMeshLandmarker } from './facemesh-landmarker';
import { LANDMARK_MODELS, type Landmarker, type LandmarkModelName } from './landmarker';

/** The landmark net `name` from its fetched model; `cropMargin` overrides the net's own default margin. */
export async function createLandmarker(
  name: LandmarkModelName,
  model: { manifest: ModelManifest; onnxPath: string },
  options: OnnxSessionOptions & { cropMargin?: number },
): Promise<Landmarker> {
  if (model.manifest.name !== LANDMARK_MODELS[name]) throw new Error(`landmark model "${name}" needs the manifest ${LANDMARK_MODELS[name]}, got ${model.manifest.name}`);
  return name === 'facemesh' ? FaceMeshLandmarker.create(model.manifest, model.onnxPath, options) : FaceApiLandmarker.create(model.manifest, model.onnxPath, options);
}
