/**
 * A pool of free buffers by size, for the embedded work area's frames: reusing
 * frame-sized buffers spares the allocator and the garbage collector hundreds of
 * megabytes per video. What it keeps is bounded by total bytes, and a size not asked for
 * recently (the frames of a video of another resolution) is dropped, so a scan that met
 * one 4K video does not hold 4K frames for the rest of its run.
 */

/** Free bytes kept, all sizes together, by default: 40 frames at 1080p, 10 at 4K. */
export const DEFAULT_POOL_MAX_FREE_BYTES = 256 * 1024 * 1024;
/** A size not taken for this long loses its free buffers, by default. */
export const DEFAULT_POOL_IDLE_MS = 30_000;

export interface BufferPoolOptions {
  /** Free bytes kept for reuse, all sizes together. */
  maxFreeBytes?: number;
  /** A size not taken for this long loses its free buffers. */
  idleMs?: number;
  /** Milliseconds now; `Date.now` unless a test drives the clock. */
  now?: () => number;
}

interface SizeClass {
  free: Buffer[];
  /** When a buffer of this size was last taken. */
  lastTakenMs: number;
}

export class BufferPool {
  /** Buffers handed out by `take`; only these are kept when given back. */
  private readonly owned = new WeakSet<Buffer>();
  /** Size classes, least recently taken first (a `Map` keeps insertion order). */
  private readonly sizes = new Map<number, SizeClass>();
  private free = 0;
  private readonly maxFreeBytes: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(options: BufferPoolOptions = {}) {
    this.maxFreeBytes = options.maxFreeBytes ?? DEFAULT_POOL_MAX_FREE_BYTES;
    this.idleMs = options.idleMs ?? DEFAULT_POOL_IDLE_MS;
    this.now = options.now ?? Date.now;
  }

  /** A buffer of `sizeBytes` (contents undefined): a free one of that size, or a new one. */
  take(sizeBytes: number): Buffer {
    const now = this.now();
    this.dropIdle(now);
    const size = this.sizes.get(sizeBytes) ?? { free: [], lastTakenMs: now };
    size.lastTakenMs = now;
    // Re-inserted: the map stays ordered from least to most recently taken.
    this.sizes.delete(sizeBytes);
    this.sizes.set(sizeBytes, size);
    const reused = size.free.pop();
    if (reused) this.free -= reused.length;
    const buffer = reused ?? Buffer.allocUnsafeSlow(sizeBytes);
    this.owned.add(buffer);
    return buffer;
  }

  /**
   * Hands back a buffer that nobody uses any more. Kept for reuse if it came from `take`
   * and fits within the bound, making room by dropping buffers of the sizes least
   * recently taken; otherwise left to the garbage collector.
   */
  give(buffer: Buffer): void {
    if (!this.owned.has(buffer)) return;
    this.dropIdle(this.now());
    const size = this.sizes.get(buffer.length);
    if (!size || buffer.length > this.maxFreeBytes) return;
    for (const [sizeBytes, other] of this.sizes) {
      if (this.free + buffer.length <= this.maxFreeBytes) break;
      if (sizeBytes === buffer.length) continue;
      while (other.free.length > 0 && this.free + buffer.length > this.maxFreeBytes) this.free -= other.free.pop()!.length;
    }
    if (this.free + buffer.length > this.maxFreeBytes) return;
    size.free.push(buffer);
    this.free += buffer.length;
  }

  /** Bytes held in free buffers. */
  get freeBytes(): number {
    return this.free;
  }

  /** Free buffers held of one size. */
  freeCount(sizeBytes: number): number {
    return this.sizes.get(sizeBytes)?.free.length ?? 0;
  }

  private dropIdle(now: number): void {
    for (const [sizeBytes, size] of this.sizes) {
      if (now - size.lastTakenMs < this.idleMs) break;
      for (const buffer of size.free) this.free -= buffer.length;
      this.sizes.delete(sizeBytes);
    }
  }
}
