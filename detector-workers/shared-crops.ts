/**
 * Decoded crops shared by the detectors of one process. Crops cross the bucket as lossless
 * WebP (`common/packed-crop.ts`); every detector of the same input size needs the same
 * pixels, so the first one to ask decodes a crop and the others take it from here, instead
 * of each paying ~3.5 ms per crop (about 0.1 CPU-s per 1080p video and detector).
 *
 * An entry is dropped as soon as every detector that shares it has taken it; one that is
 * not taken by all (a job that named only some of the detectors) is dropped after `ttlMs`,
 * or earlier, oldest first, when the entries exceed `maxBytes`. A failed decode is never kept.
 * The pixels are shared: a detector reads them and must never write into them.
 */
import type { BlobRef, RawImage } from '../common';
import { SharedResults } from './shared-results';

/** Decoded bytes kept at most, by default: about ten 1080p videos' crops at 256×256. */
export const DEFAULT_SHARED_CROPS_MAX_BYTES = 64 * 1024 ** 2;
export const DEFAULT_SHARED_CROPS_TTL_MS = 60_000;

export class SharedCrops {
  private readonly crops: SharedResults<RawImage>;

  /**
   * @param takers detectors of this process that read the same crops (2 for meso4-df and
   *   mesoinception-df, both 256×256 with the same margin)
   */
  constructor(
    private readonly takers: number,
    maxBytes = DEFAULT_SHARED_CROPS_MAX_BYTES,
    ttlMs = DEFAULT_SHARED_CROPS_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.crops = new SharedResults((crop) => crop.data.length, maxBytes, ttlMs, now);
  }

  /** The crop `blob` refers to: decoded by `decode` for the first taker, shared with the others. */
  take(blob: BlobRef, decode: () => Promise<RawImage>): Promise<RawImage> {
    return this.crops.get(`${blob.key}@${blob.offset ?? 0}`, decode, this.takers);
  }

  /** Decoded bytes held now. */
  get heldBytes(): number {
    return this.crops.heldBytes;
  }
}
