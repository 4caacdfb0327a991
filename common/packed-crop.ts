/**
 * How face crops are stored in a crop pack (one object per crop format and analysis, see
 * `face-cropper/crop-packs.ts`): each crop's `BlobRef` says its encoding and where it starts.
 *
 * - `yuv420p-med`: a crop cut from a YUV 4:2:0 frame (`cropPlanesFromYuv`), kept as its
 *   planes: each sample's difference to JPEG-LS's median edge predictor, Huffman-coded by
 *   zlib (see `encodeYuvPlanes`). The detector converts the planes to RGB exactly as `scan`
 *   does. On the sample video 35 KiB per 256×256 crop, ~1.5 ms to encode and ~1.2 ms to
 *   decode (PNG of the same planes: 57 KiB, 6 and 3 ms; WebP effort 1: 34 KiB, 20 and 5 ms).
 *   `yuv420p-bt709-med` is the same for video tagged BT.709, whose planes turn into RGB by
 *   that matrix.
 * - `webp`: an RGB crop (from a frame that is not kept as YUV) as lossless WebP (effort 0,
 *   quality 25), one RIFF file after the other; each file carries its own length, so the
 *   offset is enough. 70 KiB per 256×256 crop instead of 192 KiB, ~4 ms to encode and
 *   ~3.5 ms to decode.
 * - `rgb24`: raw RGB, `width × height × 3` bytes (packs kept in memory, and packs written
 *   before crops were encoded).
 *
 * README "What crosses S3" has the encodings measured against each other. Kept out of the
 * `common` barrel: it loads sharp.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { BlobRef } from './messages';
import { yuv420Bytes, yuv420Planes, type RawImage, type Yuv420Image, type Yuv420Plane } from './raw-image';
import { matrixOfPackedYuvCrop, yuvPackedCropFormat } from './yuv-matrix';
import { yuv420ToRgb } from './yuv-to-rgb';

/** How crops are stored in a pack: raw RGB, or lossless (predicted and Huffman-coded planes for YUV crops, WebP for RGB ones). */
export type CropEncoding = 'rgb24' | 'lossless';

/** A crop as the face cropper hands it over: RGB, or the YUV 4:2:0 planes of a crop cut from a YUV frame. */
export type CropPixels = RawImage | Yuv420Image;

/** The formats a crop may have in a pack. */
export type PackedCropFormat = Extract<BlobRef['format'], 'rgb24' | 'webp' | 'yuv420p-med' | 'yuv420p-bt709-med'>;

/** The bytes of `crop` as a pack stores them, and their format. */
export async function encodePackedCrop(crop: CropPixels, encoding: CropEncoding): Promise<{ data: Buffer; format: PackedCropFormat }> {
  if (isYuv(crop)) {
    if (encoding === 'rgb24') return { data: yuv420ToRgb(crop).data, format: 'rgb24' };
    return { data: await encodeYuvPlanes(crop), format: yuvPackedCropFormat(crop.matrix) };
  }
  if (encoding === 'rgb24') return { data: crop.data, format: 'rgb24' };
  // In lossless mode libwebp's quality is how hard it searches: at effort 0, 25 gives the same size as the default 80 in about 60 % of the time.
  const data = await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } }).webp({ lossless: true, effort: 0, quality: 25 }).toBuffer();
  return { data, format: 'webp' };
}

/** A pack's bytes were not what its reference says (cut short by a rewrite, or corrupt). */
export class PackedCropError extends Error {
  override readonly name = 'PackedCropError';
}

/** The crop that `blob` refers to in `pack`, the whole object read from the work area. */
export async function unpackCrop(pack: Buffer, blob: BlobRef): Promise<RawImage> {
  const start = blob.offset ?? 0;
  if (blob.format === 'rgb24') {
    const length = blob.width * blob.height * 3;
    if (pack.length < start + length) throw new PackedCropError(`${blob.key} is cut short (${pack.length} bytes, crop at ${start}..${start + length})`);
    return { data: pack.subarray(start, start + length), width: blob.width, height: blob.height, channels: 3 };
  }
  const matrix = matrixOfPackedYuvCrop(blob.format);
  if (matrix !== undefined) return yuv420ToRgb({ ...(await decodeYuvPlanes(pack, blob)), matrix });
  if (blob.format !== 'webp') throw new PackedCropError(`${blob.key}: crops are never stored as ${blob.format}`);
  // RIFF: "RIFF", the little-endian length of what follows the first 8 bytes, "WEBP".
  if (pack.length < start + 12 || pack.toString('latin1', start, start + 4) !== 'RIFF') {
    throw new PackedCropError(`${blob.key} has no WebP crop at ${start} (${pack.length} bytes)`);
  }
  const end = start + 8 + pack.readUInt32LE(start + 4);
  if (pack.length < end) throw new PackedCropError(`${blob.key} is cut short (${pack.length} bytes, crop at ${start}..${end})`);
  const { data, info } = await sharp(pack.subarray(start, end)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== blob.width || info.height !== blob.height) {
    throw new PackedCropError(`${blob.key}: the crop at ${start} is ${info.width}×${info.height}, not ${blob.width}×${blob.height}`);
  }
  return { data, width: info.width, height: info.height, channels: 3 };
}

const deflateRaw = promisify(zlib.deflateRaw);
const inflateRaw = promisify(zlib.inflateRaw);

function isYuv(crop: CropPixels): crop is Yuv420Image {
  return 'format' in crop && crop.format === 'yuv420p';
}

/**
 * The planes of a 4:2:0 crop (Y, then U and V), each sample replaced by its difference
 * (mod 256) to LOCO-I's median edge predictor from its left, upper and upper-left
 * neighbours (JPEG-LS's predictor; the first row and column predict from the one neighbour
 * they have), then Huffman-coded by zlib (raw deflate, Huffman only: the residuals are
 * noise-like, string matching finds nothing in them). Stored as the coded length (u32 LE)
 * and the coded bytes.
 */
async function encodeYuvPlanes(crop: Yuv420Image): Promise<Buffer> {
  const residuals = Buffer.allocUnsafe(crop.data.length);
  for (const plane of yuv420Planes(crop.width, crop.height)) predictPlane(crop.data, residuals, plane, +1);
  const coded = await deflateRaw(residuals, { strategy: zlib.constants.Z_HUFFMAN_ONLY });
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32LE(coded.length);
  return Buffer.concat([header, coded]);
}

async function decodeYuvPlanes(pack: Buffer, blob: BlobRef): Promise<Yuv420Image> {
  const { width, height } = blob;
  const start = blob.offset ?? 0;
  if (pack.length < start + 4) throw new PackedCropError(`${blob.key} has no crop at ${start} (${pack.length} bytes)`);
  const end = start + 4 + pack.readUInt32LE(start);
  if (pack.length < end) throw new PackedCropError(`${blob.key} is cut short (${pack.length} bytes, crop at ${start}..${end})`);
  const samples = yuv420Bytes(width, height);
  let residuals: Buffer;
  try {
    // Bounded: a corrupt or hostile pack cannot inflate past the crop it claims to be.
    residuals = await inflateRaw(pack.subarray(start + 4, end), { maxOutputLength: samples });
  } catch (error) {
    throw new PackedCropError(`${blob.key}: the crop at ${start} is corrupt or larger than ${width}×${height} (${(error as Error).message})`, { cause: error });
  }
  if (residuals.length !== samples) {
    throw new PackedCropError(`${blob.key}: the crop at ${start} holds ${residuals.length} samples, not the planes of a ${width}×${height} crop`);
  }
  const data = Buffer.allocUnsafe(residuals.length);
  for (const plane of yuv420Planes(width, height)) predictPlane(residuals, data, plane, -1);
  return { data, width, height, format: 'yuv420p' };
}

/**
 * Encodes (`direction` +1: `to` = `from` − prediction) or decodes (−1: `to` = `from` +
 * prediction) one plane. The prediction always comes from the plane's samples (`from` when
 * encoding, `to`, already decoded, when decoding), so both directions predict the same.
 */
function predictPlane(from: Buffer, to: Buffer, plane: Yuv420Plane, direction: 1 | -1): void {
  const samples = direction === 1 ? from : to;
  const { start, width, height } = plane;
  for (let y = 0; y < height; y++) {
    const row = start + y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      let prediction: number;
      if (y === 0) prediction = x === 0 ? 0 : samples[i - 1]!; // first row: the left sample
      else if (x === 0) prediction = samples[i - width]!; // first column: the upper sample
      else {
        const left = samples[i - 1]!;
        const up = samples[i - width]!;
        const upLeft = samples[i - width - 1]!;
        const high = left > up ? left : up;
        const low = left > up ? up : left;
        prediction = upLeft >= high ? low : upLeft <= low ? high : left + up - upLeft;
      }
      to[i] = (from[i]! - direction * prediction) & 255;
    }
  }
}
