/**
 * Face crops packed one object per crop format and analysis, instead of one object per
 * crop: a video with 32 faces and two formats costs two PUTs and, per detector, one GET.
 * Each crop keeps its own reference (key and byte offset), so a detector reads the object
 * once and takes every crop as a view of it.
 */
import type { BlobRef, RawImage } from '../common';

export class CropPacks {
  private readonly packs = new Map<string, { parts: Buffer[]; bytes: number }>();

  /** @param prefix key prefix of the analysis's crops, e.g. `work/<videoId>/<correlationId>/crops/` */
  constructor(private readonly prefix: string) {}

  /** Adds a crop of format `format` (a `cropBlobKey`); returns its reference in the pack. */
  add(format: string, crop: RawImage): BlobRef {
    const key = `${this.prefix}${format}.rgb`;
    const pack = this.packs.get(key) ?? { parts: [], bytes: 0 };
    this.packs.set(key, pack);
    const ref: BlobRef = { key, format: 'rgb24', width: crop.width, height: crop.height, offset: pack.bytes };
    pack.parts.push(crop.data);
    pack.bytes += crop.data.length;
    return ref;
  }

  /** The objects to write: key and bytes of each pack. */
  *objects(): Iterable<[string, Buffer]> {
    for (const [key, pack] of this.packs) yield [key, Buffer.concat(pack.parts, pack.bytes)];
  }
}
