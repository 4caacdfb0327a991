/**
 * How a frame extractor tells a face detector in the same process about each frame it has
 * resized for detection, as soon as it is decoded: the detector can then run while ffmpeg
 * decodes on, instead of after the whole video. Frames are named by their work-area keys.
 */
import type { RawImage } from './raw-image';

export interface DetectionFrameSink {
  /**
   * The frame resized for the detector, stored under `key`, of a `frameWidth`×`frameHeight`
   * frame. Its pixels must stay unchanged until its faces are taken or `dropped` says so.
   */
  decoded(key: string, input: RawImage, frameWidth: number, frameHeight: number): void;
  /** Frames about to be deleted (their buffers recycled) or written again: forget them. */
  dropped(keys: readonly string[]): void;
}
