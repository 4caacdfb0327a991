// Error codes in words, for analysts: the report's codes (README "Error codes") and the API's.

const WORDS = {
  FILE_NOT_FOUND: 'The video file could not be found.',
  FILE_UNREADABLE: 'The video file could not be read.',
  EMPTY_FILE: 'The file is empty.',
  NOT_A_VIDEO: 'This file is not a video (its bytes are not a video container deepsift reads), whatever its name says.',
  NO_VIDEO_STREAM: 'The file has no video stream (audio only?).',
  STILL_IMAGE: 'The file is a still image, not a video.',
  VIDEO_TOO_LARGE: 'The video is larger than this server accepts.',
  VIDEO_TOO_LONG: 'The video is longer than this server accepts.',
  RESOLUTION_TOO_HIGH: 'The video’s frames are larger than this server accepts.',
  CORRUPT_VIDEO: 'The video is truncated or cannot be decoded.',
  DECODE_FAILED: 'The video decoder (ffmpeg) failed on this video.',
  FFMPEG_NOT_FOUND: 'The server is missing ffmpeg; tell its administrator.',
  RETRIES_EXHAUSTED: 'A stage of the analysis failed on every attempt.',
  INVALID_MESSAGE: 'The analysis was handed an invalid job.',
  INTERNAL: 'The analysis failed with an internal error.',
  URL_FETCH_FAILED: 'The video could not be downloaded from its URL.',
  URL_TIMEOUT: 'Downloading the video took too long.',
  URL_NOT_ALLOWED: 'URLs of private or local addresses are refused.',
  UPLOAD_TOO_LARGE: 'The file is larger than this server accepts for an upload.',
  RATE_LIMITED: 'Too many requests in a minute; wait a little and try again.',
  API_KEY_MISSING: 'This server needs an API key.',
  API_KEY_INVALID: 'The API key is not valid.',
  UNKNOWN_DETECTOR: 'A chosen detector is not available on this server.',
  DEPLOYMENT_UNAVAILABLE: 'The deployment did not accept the job (are its workers running?).',
  NETWORK: 'The connection to the server was lost.',
};

/** A sentence for an error code, with the server's message when it adds something. */
export function describeFailure(code, message) {
  const words = WORDS[code];
  if (!words) return message ? `${message} (${code})` : code;
  return message && !words.includes(message) ? `${words} (${code}: ${message})` : `${words} (${code})`;
}

/** P(fake) as a percentage. */
export function percent(score) {
  return score === null || score === undefined ? '—' : `${(score * 100).toFixed(1)} %`;
}
