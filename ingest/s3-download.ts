/**
 * Downloading a submitted S3 object into a private temporary file (generated name, mode
 * 0600, never a path built from the key). Its size is checked with HeadObject before a
 * byte is read, and counted again while reading, in case the object was replaced between.
 */
import {
  ObjectNotFoundError,
  TooLargeError,
  VideoRejectedError,
  writePrivateTempFile,
  type PrivateTempFile,
  type S3Storage,
} from '../common';

/** What the download needs of its storage. */
export type DownloadableStorage = Pick<S3Storage, 'bucket' | 'head' | 'stream'>;

/** A downloaded object; `remove` deletes the file. */
export interface DownloadedObject extends PrivateTempFile {
  /** The ETag HeadObject reported (without quotes). */
  eTag: string;
}

/**
 * Copies the object at `key` into a new private temporary file. Rejects with
 * `VideoRejectedError` FILE_NOT_FOUND when it does not exist and VIDEO_TOO_LARGE when it
 * is over `maxBytes`; other (transient) storage errors pass through. Nothing is left on
 * disk on failure.
 */
export async function downloadS3Object(storage: DownloadableStorage, key: string, options: { maxBytes: number }): Promise<DownloadedObject> {
  const uri = `s3://${storage.bucket}/${key}`;
  try {
    const head = await storage.head(key);
    if (head.sizeBytes > options.maxBytes) {
      throw new VideoRejectedError('VIDEO_TOO_LARGE', `${uri} is ${head.sizeBytes} bytes, over the ${options.maxBytes}-byte limit`, {
        stage: 'ingest',
      });
    }
    const file = await writePrivateTempFile(await storage.stream(key), options.maxBytes, '.video');
    return { ...file, eTag: head.etag };
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new VideoRejectedError('FILE_NOT_FOUND', `${uri} does not exist`, { stage: 'ingest', cause: error });
    }
    if (error instanceof TooLargeError) {
      throw new VideoRejectedError('VIDEO_TOO_LARGE', `${uri} grew past the ${options.maxBytes}-byte limit while downloading`, {
        stage: 'ingest',
        cause: error,
      });
    }
    throw error;
  }
}
