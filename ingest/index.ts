export { LocalIngest, type IngestedInput } from './local-ingest';
export { expandLocalInputs, hashFile, pathVideoId, VIDEO_EXTENSIONS, type LocalInput } from './local-source';
