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

/** The matrix that turns a YUV image's samples into RGB, limited range either way. */
export type YuvMatrix = 'bt601' | 'bt709';

/**
 * An uncompressed 8-bit planar YUV 4:2:0 image (ffmpeg's `yuv420p`, limited range): the Y
 * plane, then U and V at ⌈width/2⌉ × ⌈height/2⌉. Half the bytes of RGB.
 */
export interface Yuv420Image {
  data: Buffer;
  width: number;
  height: number;
  format: 'yuv420p';
  /** BT.601 when absent (what ffmpeg assumes of untagged video); `bt709` for video tagged so. */
  matrix?: YuvMatrix;
}

/** One plane of a {@link Yuv420Image}: where it starts in `data`, and its size. */
export interface Yuv420Plane {
  start: number;
  width: number;
  height: number;
}

/** The Y, U and V planes of a {@link Yuv420Image} of this size, in the order `data` holds them. */
export function yuv420Planes(width: number, height: number): [y: Yuv420Plane, u: Yuv420Plane, v: Yuv420Plane] {
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const uStart = width * height;
  return [
    { start: 0, width, height },
    { start: uStart, width: chromaWidth, height: chromaHeight },
    { start: uStart + chromaWidth * chromaHeight, width: chromaWidth, height: chromaHeight },
  ];
}

/** Bytes of a {@link Yuv420Image} of this size. */
export function yuv420Bytes(width: number, height: number): number {
  const v = yuv420Planes(width, height)[2];
  return v.start + v.width * v.height;
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
