/**
 * Reads of the work area shared by the detectors of one process: the crops of a video are
 * one packed object per crop format, and every detector of the same input size reads the
 * same object. The first read fetches it; the others, moments later, take it from here.
 * Bounded by bytes, oldest first; entries also expire, so a rewritten object is read again.
 */
import type { Readable } from 'node:stream';
import type { Storage, StoredObject } from '../common';

/** What one shared read holds, by default. */
export const DEFAULT_SHARED_READS_MAX_BYTES = 64 * 1024 ** 2;
export const DEFAULT_SHARED_READS_TTL_MS = 60_000;

export class SharedReads implements Storage {
  private readonly entries = new Map<string, { body: Promise<Buffer>; bytes: number; at: number }>();
  private bytes = 0;

  constructor(
    private readonly storage: Storage,
    private readonly maxBytes = DEFAULT_SHARED_READS_MAX_BYTES,
    private readonly ttlMs = DEFAULT_SHARED_READS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Promise<Buffer> {
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.body;
    if (cached) this.forget(key);
    const body = this.storage.get(key);
    const entry = { body, bytes: 0, at: this.now() };
    this.entries.set(key, entry);
    body.then(
      (data) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = data.length;
        this.bytes += data.length;
        this.evict();
      },
      () => this.entries.get(key) === entry && this.entries.delete(key),
    );
    return body;
  }

  put(key: string, body: Buffer | Readable): Promise<void> {
    this.forget(key);
    return this.storage.put(key, body);
  }

  stream(key: string): Promise<Readable> {
    return this.storage.stream(key);
  }

  exists(key: string): Promise<boolean> {
    return this.storage.exists(key);
  }

  list(prefix: string): AsyncIterable<StoredObject> {
    return this.storage.list(prefix);
  }

  delete(key: string): Promise<void> {
    this.forget(key);
    return this.storage.delete(key);
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.entries.delete(key);
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(key);
    }
  }
}
