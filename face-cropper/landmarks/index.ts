/** LRNet's landmarks: 68 points per frame (face-api's net or FaceMesh's), calibrated as upstream LRNet does. */
export { DEFAULT_LANDMARK_CROP_MARGIN, FaceApiLandmarker } from './faceapi-landmarker';
export { DEFAULT_FACEMESH_CROP_MARGIN, FaceMeshLandmarker } from './facemesh-landmarker';
export { LANDMARK_MODELS, type Landmarker, type LandmarkModelName } from './landmarker';
export { createLandmarker } from './create-landmarker';
export { NORMALISED_FACE_SIZE, planFaces, type FaceBox, type FacePlan, type FrameShape } from './lrnet-face-plan';
export { LrnetLandmarkTracker } from './lrnet-landmark-tracker';
export { loadOpenCv, type OpenCv, type OpenCvHandle } from './opencv';
export { extractVideoLandmarks, type VideoLandmarkDeps, type VideoLandmarks } from './video-landmarks';
export {
  ClipLandmarkBuilder,
  followedFaces,
  REGION_SCALE,
  type ClipFaceOptions,
  type ClipLandmarkDeps,
  type ClipLandmarks,
  type NoLandmarksReason,
} from './clip-landmarks';
export { videoClipLandmarks, type VideoClipLandmarks, type VideoClipOptions } from './video-clip-landmarks';
