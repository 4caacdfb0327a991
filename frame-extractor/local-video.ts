/**
 * Getting a video's bytes into a local file that ffmpeg may open. Local paths are used
 * as they are, only where the stage allows them (embedded mode); objects are copied to a
 * private temporary file first, never opened by a path built from their key.
 */
import {
  InvalidMessageError,
  ObjectNotFoundError,
  TooLargeError,
  writePrivateTempFile,
  type Storage,
  type VideoSource,
} from '../common';
import { VideoError } from './video-error';

/** A local copy (or the original file) of a video; `release` removes any copy. */
export interface LocalVideo {
  path: string;
  release(): Promise<void>;
}

export interface LocalVideoOptions {
  /** Whether `file` sources may be opened: true in embedded mode, false for workers. */
  allowFileSources: boolean;
  /** Where `s3` and `url` sources' bytes are. */
  videos?: Storage;
  maxVideoBytes: number;
  /** Where copies of objects go (in folders named after this process); the system's temporary folder by default. */
  tempDir?: string;
}

/** The owner named in the frame extractor's temporary folders. */
export const FRAME_EXTRACTOR_TEMP_OWNER = 'frame-extractor';

export async function openLocalVideo(source: VideoSource, options: LocalVideoOptions): Promise<LocalVideo> {
  if (source.kind === 'file') {
    if (!options.allowFileSources) {
      throw new InvalidMessageError(`local file sources are not accepted by this worker (${source.uri})`);
    }
    return { path: source.path, release: async () => undefined };
  }
  if (!options.videos) throw new Error('this stage has no object storage for s3 and url sources');
  let body;
  try {
    body = await options.videos.stream(source.key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new VideoError('FILE_NOT_FOUND', `${source.uri} no longer exists in the bucket`, { path: source.key, cause: error });
    }
    throw error;
  }
  try {
    const file = await writePrivateTempFile(body, options.maxVideoBytes, '.video', { dir: options.tempDir, owner: FRAME_EXTRACTOR_TEMP_OWNER });
    return { path: file.path, release: file.remove };
  } catch (error) {
    if (error instanceof TooLargeError) {
      throw new VideoError('VIDEO_TOO_LARGE', `${source.uri} is larger than the ${options.maxVideoBytes}-byte limit`, { path: source.key });
    }
    throw error;
  }
}
