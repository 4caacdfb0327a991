/** The face-cropper stage's library: face detection, tracking across samples and face crops. */
export { FaceCropperError, type FaceCropperErrorCode } from './face-cropper-error';
export {
  DEFAULT_FACE_DETECTOR_OPTIONS,
  resolveFaceDetectorOptions,
  type FaceDetector,
  type FaceDetectorOptions,
  type ResizedFrame,
} from './face-detector';
export { UltraFaceDetector, type UltraFaceInputSize } from './ultraface-detector';
export { BlazeFaceDetector } from './blazeface-detector';
export { iou, nonMaxSuppression } from './non-max-suppression';
export { DEFAULT_IOU_TRACKER_OPTIONS, IouTracker, type IouTrackerOptions, type Track } from './iou-tracker';
export { cropFace, squareCropBox, type CropOptions } from './face-crop';
export { EarlyFaceDetection } from './early-face-detection';
export { FaceCropperStage, type CropSpec, type FaceCropperDeps, type FaceCropperOptions } from './face-cropper-stage';
export { clipSequences, type TemporalClipOptions } from './clip-sequences';
