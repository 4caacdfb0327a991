/**
 * An uncompressed 8-bit image, channels interleaved (HWC), as ffmpeg's `rgb24`
 * output and sharp's `.raw()` produce it. Frames and face crops travel through
 * the embedded pipeline in this form so that nothing is encoded twice.
 */
export interface RawImage {
  /** Interleaved pixel bytes, `width * height * channels` long. */
  data: Buffer;
  width: number;
  height: number;
  /** 3 for RGB. */
  channels: 3;
}

/** An axis-aligned box in pixel coordinates of the full-resolution frame. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A detected face: its box and the face detector's confidence in [0, 1]. */
export interface FaceDetection {
  box: Box;
  score: number;
}
