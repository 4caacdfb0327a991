import sharp from 'sharp';
import type { Box, RawImage, Yuv420Image } from '../common/raw-image';
import { FaceCropperError } from './errors';
import { assertRgbFrame } from './face-detector';
import { yuv420ToRgb } from './yuv-to-rgb';

/** How a face becomes a detector input: margin around the box, then a square of `size` pixels. */
export interface CropOptions {
  /** Margin added on each side, as a fraction of the box's longer side (0.2 adds 20% left, right, top and bottom). */
  marginRatio: number;
  /** Side of the output square, in pixels. */
  size: number;
}

/**
 * The square crop around a face box: side = longer box side × (1 + 2·marginRatio), centred on the
 * box, then shifted (not shrunk) to lie inside the frame; only a square larger than the frame's
 * shorter side is shrunk to fit. Integer pixel corners, so it can be extracted as is.
 */
export function squareCropBox(box: Box, marginRatio: number, frameWidth: number, frameHeight: number): Box {
  if (!(marginRatio >= 0)) throw new RangeError(`marginRatio must be >= 0, got ${marginRatio}`);
  if (!(frameWidth >= 1 && frameHeight >= 1)) throw new RangeError(`frame must be at least 1x1, got ${frameWidth}x${frameHeight}`);
  const longerSide = Math.max(box.x2 - box.x1, box.y2 - box.y1, 1);
  const side = Math.min(Math.round(longerSide * (1 + 2 * marginRatio)), Math.floor(frameWidth), Math.floor(frameHeight));
  const centreX = (box.x1 + box.x2) / 2;
  const centreY = (box.y1 + box.y2) / 2;
  const x1 = clampStart(Math.round(centreX - side / 2), side, frameWidth);
  const y1 = clampStart(Math.round(centreY - side / 2), side, frameHeight);
  return { x1, y1, x2: x1 + side, y2: y1 + side };
}

/** Cuts the square crop around `box` out of `frame` and resizes it to `size`×`size` RGB (sharp's default Lanczos-3). */
export async function cropFace(frame: RawImage, box: Box, options: CropOptions): Promise<RawImage> {
  assertRgbFrame(frame);
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new FaceCropperError('INVALID_OPTIONS', `crop size must be a positive integer, got ${options.size}`);
  }
  const square = squareCropBox(box, options.marginRatio, frame.width, frame.height);
  const data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .extract({ left: square.x1, top: square.y1, width: square.x2 - square.x1, height: square.y2 - square.y1 })
    .resize(options.size, options.size, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, width: options.size, height: options.size, channels: 3 };
}

/**
 * {@link cropFace} of a YUV 4:2:0 frame: only the crop's square is converted to RGB, the same
 * square is then resized the same way.
 */
export async function cropFaceFromYuv(frame: Yuv420Image, box: Box, options: CropOptions): Promise<RawImage> {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new FaceCropperError('INVALID_OPTIONS', `crop size must be a positive integer, got ${options.size}`);
  }
  const square = yuv420ToRgb(frame, squareCropBox(box, options.marginRatio, frame.width, frame.height));
  const data = await sharp(square.data, { raw: { width: square.width, height: square.height, channels: 3 } })
    .resize(options.size, options.size, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, width: options.size, height: options.size, channels: 3 };
}

function clampStart(start: number, side: number, limit: number): number {
  return Math.max(0, Math.min(start, Math.floor(limit) - side));
}
