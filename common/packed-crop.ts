/**
 * How face crops are stored in a crop pack (one object per crop format and analysis, see
 * `face-cropper/crop-packs.ts`): each crop's `BlobRef` says its encoding and where it starts.
 *
 * - `webp`: lossless WebP (effort 0, quality 25), one RIFF file after the other; each file carries its own
 *   length, so the offset is enough. 2.8× smaller than raw on the sample video's crops
 *   (69 KiB per 256×256 crop instead of 192 KiB) for ~6 ms to encode and ~3.5 ms to decode;
 *   lossless PNG was 2.1× for 11 ms; WebP effort 1 saves 8 % more for 7× the time.
 * - `rgb24`: raw RGB, `width × height × 3` bytes (packs kept in memory, and packs written
 *   before crops were encoded).
 *
 * Kept out of the `common` barrel: it loads sharp.
 */
import sharp from 'sharp';
import type { BlobRef } from './messages';
import type { RawImage } from './raw-image';

/** How crops are encoded in a pack. */
export type CropEncoding = 'rgb24' | 'webp';

/** The bytes of `crop` as a pack stores them. */
export async function encodePackedCrop(crop: RawImage, encoding: CropEncoding): Promise<Buffer> {
  if (encoding === 'rgb24') return crop.data;
  // In lossless mode libwebp's quality is how hard it searches: at effort 0, 25 gives the same size as the default 80 in about 60 % of the time.
  return sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } }).webp({ lossless: true, effort: 0, quality: 25 }).toBuffer();
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
