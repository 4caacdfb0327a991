import sharp from 'sharp';
import { yuv420Bytes, yuv420Planes, type Box, type RawImage, type Yuv420Image, type Yuv420Plane } from '../common/raw-image';
import { yuv420ToRgb } from '../common/yuv-to-rgb';
import { FaceCropperError } from './face-cropper-error';
import { assertRgbFrame } from './face-detector';

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
 * {@link cropFace} of a YUV 4:2:0 frame: the crop's YUV planes ({@link cropPlanesFromYuv})
 * converted to RGB, so that only `size`×`size` pixels are converted.
 */
export async function cropFaceFromYuv(frame: Yuv420Image, box: Box, options: CropOptions): Promise<RawImage> {
  return yuv420ToRgb(await cropPlanesFromYuv(frame, box, options));
}

/**
 * The square crop around `box` (as {@link cropFace} places it) resized while still YUV 4:2:0:
 * the luma of the square to `size`×`size`, its chroma to half that (rounded up), each plane
 * with sharp's default Lanczos-3. The result is a `size`×`size` 4:2:0 image, half the bytes of
 * the RGB crop, which is what a crop pack stores; converted to RGB it differs from resizing
 * the converted square by the chroma's lower resolution (video scores within 0.002 on the
 * sample and eval videos, README "What crosses S3").
 */
export async function cropPlanesFromYuv(frame: Yuv420Image, box: Box, options: CropOptions): Promise<Yuv420Image> {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new FaceCropperError('INVALID_OPTIONS', `crop size must be a positive integer, got ${options.size}`);
  }
  const { width, height, data } = frame;
  if (data.length !== yuv420Bytes(width, height)) {
    throw new FaceCropperError('INVALID_FRAME', `yuv420p frame data is ${data.length} bytes, expected ${yuv420Bytes(width, height)} for ${width}x${height}`);
  }
  const square = squareCropBox(box, options.marginRatio, width, height);
  // The chroma samples under the square: half a sample more on a side that starts or ends on an odd pixel.
  const chromaLeft = square.x1 >> 1;
  const chromaTop = square.y1 >> 1;
  const chromaRegion = { left: chromaLeft, top: chromaTop, width: Math.ceil(square.x2 / 2) - chromaLeft, height: Math.ceil(square.y2 / 2) - chromaTop };
  const lumaRegion = { left: square.x1, top: square.y1, width: square.x2 - square.x1, height: square.y2 - square.y1 };
  const [yPlane, uPlane, vPlane] = yuv420Planes(width, height);
  const [yOut, uOut, vOut] = yuv420Planes(options.size, options.size);
  const out = Buffer.allocUnsafe(yuv420Bytes(options.size, options.size));
  await Promise.all([
    resizePlane(data, yPlane, lumaRegion, yOut.width).then((luma) => luma.copy(out, yOut.start)),
    resizeChromaPlanes(data, [uPlane, vPlane], chromaRegion, out, [uOut, vOut]),
  ]);
  return { data: out, width: options.size, height: options.size, format: 'yuv420p', matrix: frame.matrix };
}

/** `region` of one plane of `data`, resized to `side`×`side` (sharp's default kernel). */
function resizePlane(data: Buffer, plane: Yuv420Plane, region: sharp.Region, side: number): Promise<Buffer> {
  const { start, width, height } = plane;
  return sharp(data.subarray(start, start + width * height), { raw: { width, height, channels: 1 } })
    .extract(region)
    .resize(side, side, { fit: 'fill' })
    .toColourspace('b-w') // sharp's output is sRGB (three channels) unless told
    .raw()
    .toBuffer();
}

/**
 * The same `region` of the U and V planes of `data`, each resized into its plane of `out` as
 * {@link resizePlane} would resize it, in one sharp call instead of two: the regions are
 * interleaved as the first two bands of a 3-band image, which libvips resizes band by band (a
 * third, unused band keeps the second from being taken for alpha). A sharp call costs about
 * 1.4 ms of CPU however small its image; this one saves ~30 % of a crop's resizing.
 */
async function resizeChromaPlanes(
  data: Buffer,
  [u, v]: [Yuv420Plane, Yuv420Plane],
  region: sharp.Region,
  out: Buffer,
  [uOut, vOut]: [Yuv420Plane, Yuv420Plane],
): Promise<void> {
  const bands = Buffer.alloc(region.width * region.height * 3);
  for (let row = 0, o = 0; row < region.height; row++) {
    const uRow = u.start + (region.top + row) * u.width + region.left;
    const vRow = v.start + (region.top + row) * v.width + region.left;
    for (let column = 0; column < region.width; column++, o += 3) {
      bands[o] = data[uRow + column]!;
      bands[o + 1] = data[vRow + column]!;
    }
  }
  const resized = await sharp(bands, { raw: { width: region.width, height: region.height, channels: 3 } })
    .resize(uOut.width, uOut.height, { fit: 'fill' })
    .raw()
    .toBuffer();
  for (let i = 0, p = 0; i < uOut.width * uOut.height; i++, p += 3) {
    out[uOut.start + i] = resized[p]!;
    out[vOut.start + i] = resized[p + 1]!;
  }
}

function clampStart(start: number, side: number, limit: number): number {
  return Math.max(0, Math.min(start, Math.floor(limit) - side));
}
