/**
 * Face crops packed one object per crop format and analysis, instead of one object per
 * crop: a video with 32 faces and two formats costs two PUTs and, per detector, one GET.
 * Each crop keeps its own reference (key, encoding and byte offset), so a detector reads
 * the object once and takes every crop out of it (`common/packed-crop.ts` has the format).
 */
import type { BlobRef } from '../common';
import { encodePackedCrop, type CropEncoding, type CropPixels, type PackedCropFormat } from '../common/packed-crop';

/** File extension of a pack, by the format of its crops. */
const EXTENSIONS: Record<PackedCropFormat, string> = { rgb24: 'rgb', webp: 'webp', 'yuv420p-med': 'yuv', 'yuv420p-bt709-med': 'yuv709' };

export class CropPacks {
  private readonly packs = new Map<string, { parts: Buffer[]; bytes: number }>();

  /**
   * @param prefix key prefix of the analysis's crops, e.g. `work/<videoId>/<correlationId>/crops/`
   * @param encoding how crops are stored: lossless when they cross a bucket, raw when they stay in memory
   */
  constructor(
    private readonly prefix: string,
    private readonly encoding: CropEncoding = 'rgb24',
  ) {}

  /**
   * Adds a crop of format `format` (a `cropBlobKey`): RGB, or the YUV planes of a crop cut
   * from a YUV frame, stored as `encoding` says; returns its reference in the pack.
   */
  async add(format: string, crop: CropPixels): Promise<BlobRef> {
    const encoded = await encodePackedCrop(crop, this.encoding);
    // One pack per crop format and way of storing it (a video's crops are all RGB or all YUV).
    const key = `${this.prefix}${format}.${EXTENSIONS[encoded.format]}`;
    const pack = this.packs.get(key) ?? { parts: [], bytes: 0 };
    this.packs.set(key, pack);
    const ref: BlobRef = { key, format: encoded.format, width: crop.width, height: crop.height, offset: pack.bytes };
    pack.parts.push(encoded.data);
    pack.bytes += encoded.data.length;
    return ref;
  }

  /** The objects to write: key and bytes of each pack. */
  *objects(): Iterable<[string, Buffer]> {
    for (const [key, pack] of this.packs) yield [key, Buffer.concat(pack.parts, pack.bytes)];
  }
}
