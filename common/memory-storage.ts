/**
 * `Storage` in process memory. The embedded pipeline keeps its work area (sampled
 * frames, face crops) here: buffers are passed by reference, never copied or encoded.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BufferPool } from './buffer-pool';
import { assertValidKey, ObjectNotFoundError, type Storage, type StoredObject } from './storage';

export class MemoryStorage implements Storage {
  private readonly objects = new Map<string, Buffer>();

  /**
   * @param pool where buffers from `allocate` go back when their object is deleted (frames
   *   are the same size for a whole video, often for a whole scan); bounded by bytes.
   */
  constructor(private readonly pool = new BufferPool()) {}

  /**
   * A buffer to fill and `put`, recycled from a deleted object of the same size when the
   * pool holds one. Whoever `get`s such an object must be done with it before it is deleted.
   */
  allocate(sizeBytes: number): Buffer {
    return this.pool.take(sizeBytes);
  }

  async put(key: string, body: Buffer | Readable): Promise<void> {
    assertValidKey(key);
    this.objects.set(key, Buffer.isBuffer(body) ? body : await buffer(body));
  }

  async get(key: string): Promise<Buffer> {
    const data = this.objects.get(key);
    if (!data) throw new ObjectNotFoundError(key);
    return data;
  }

  async stream(key: string): Promise<Readable> {
    return Readable.from([await this.get(key)]);
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    // A snapshot: callers may delete what they are listing.
    const listed = [...this.objects].filter(([key]) => key.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [key, data] of listed) yield { key, sizeBytes: data.length };
  }

  async delete(key: string): Promise<void> {
    const data = this.objects.get(key);
    this.objects.delete(key);
    if (data) this.pool.give(data);
  }

  /** Bytes held in total: lets tests and benchmarks check the work area is emptied. */
  get sizeBytes(): number {
    let total = 0;
    for (const data of this.objects.values()) total += data.length;
    return total;
  }
}
