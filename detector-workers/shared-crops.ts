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

/** Decoded bytes kept at most, by default: about ten 1080p videos' crops at 256×256. */
export const DEFAULT_SHARED_CROPS_MAX_BYTES = 64 * 1024 ** 2;
export const DEFAULT_SHARED_CROPS_TTL_MS = 60_000;

interface Entry {
  crop: Promise<RawImage>;
  bytes: number;
  at: number;
  /** Takes still expected before the entry can go. */
  takesLeft: number;
}

export class SharedCrops {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /**
   * @param takers detectors of this process that read the same crops (2 for meso4-df and
   *   mesoinception-df, both 256×256 with the same margin)
   */
  constructor(
    private readonly takers: number,
    private readonly maxBytes = DEFAULT_SHARED_CROPS_MAX_BYTES,
    private readonly ttlMs = DEFAULT_SHARED_CROPS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The crop `blob` refers to: decoded by `decode` for the first taker, shared with the others. */
  take(blob: BlobRef, decode: () => Promise<RawImage>): Promise<RawImage> {
    if (this.takers < 2) return decode();
    const key = `${blob.key}@${blob.offset ?? 0}`;
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) {
      cached.takesLeft -= 1;
      if (cached.takesLeft <= 0) this.forget(key);
      return cached.crop;
    }
    if (cached) this.forget(key);
    const crop = decode();
    const entry: Entry = { crop, bytes: 0, at: this.now(), takesLeft: this.takers - 1 };
    this.entries.set(key, entry);
    crop.then(
      (image) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = image.data.length;
        this.bytes += entry.bytes;
        this.evict();
      },
      () => this.forget(key, entry),
    );
    return crop;
  }

  /** Decoded bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  private forget(key: string, only?: Entry): void {
    const entry = this.entries.get(key);
    if (!entry || (only && entry !== only)) return;
    this.bytes -= entry.bytes;
    this.entries.delete(key);
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes && now - entry.at < this.ttlMs) break;
      this.forget(key);
    }
  }
}
