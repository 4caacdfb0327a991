/** Converts face-api's 68-point landmark net (TensorFlow.js weights) into an ONNX graph. */
import { buildFaceApiLandmarkModel } from './faceapi-landmark-graph';
import { readTfjsWeights } from './tfjs-weights';

export { FaceApiConversionError, type FaceApiConversionErrorCode } from './faceapi-conversion-error';
export { FACEAPI_LANDMARK_INPUT, FACEAPI_LANDMARK_INPUT_SIZE, FACEAPI_LANDMARK_OUTPUT } from './faceapi-landmark-graph';

/** Converts face-api's weights manifest JSON and its binary shard into a serialized ONNX model. */
export function convertFaceApiLandmarks(manifestJson: Uint8Array, shard: Uint8Array): Uint8Array {
  return buildFaceApiLandmarkModel(readTfjsWeights(manifestJson, shard));
}
