/**
 * `Storage` in process memory. The embedded pipeline keeps its work area (sampled
 * frames, face crops) here: buffers are passed by reference, never copied or encoded.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BufferPool } from '../buffer-pool';
import { assertValidKey, ObjectNotFoundError, type Storage, type StoredObject, type VersionedObject, type VersionedStorage } from './storage';

export class MemoryStorage implements Storage, VersionedStorage {
  private readonly objects = new Map<string, Buffer>();
  /** Version tags of objects written by `putConditional` (any other write drops the tag). */
  private readonly versions = new Map<string, string>();
  private nextVersion = 1;

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
    const data = Buffer.isBuffer(body) ? body : await buffer(body);
    this.objects.set(key, data);
    this.versions.delete(key);
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
    this.versions.delete(key);
    if (data) this.pool.give(data);
  }

  /** Bytes held in total: lets tests and benchmarks check the work area is emptied. */
  get sizeBytes(): number {
    let total = 0;
    for (const data of this.objects.values()) total += data.length;
    return total;
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const body = this.objects.get(key);
    return body && { body, version: this.versionOf(key) };
  }

  /** Compare-and-swap: atomic, since nothing else runs between the check and the write. */
  async putConditional(key: string, body: Buffer, ifVersion: string | null): Promise<string | undefined> {
    assertValidKey(key);
    const exists = this.objects.has(key);
    if (ifVersion === null ? exists : !exists || this.versionOf(key) !== ifVersion) return undefined;
    const version = String(this.nextVersion++);
    this.objects.set(key, body);
    this.versions.set(key, version);
    return version;
  }

  private versionOf(key: string): string {
    let version = this.versions.get(key);
    if (version === undefined) {
      version = String(this.nextVersion++);
      this.versions.set(key, version);
    }
    return version;
  }
}
