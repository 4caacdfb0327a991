/**
 * Reads of the work area shared by the detectors of one process: the crops of a video are
 * one packed object per crop format, and every detector of the same input size reads the
 * same object. The first read fetches it; the others, moments later, take it from here.
 * Bounded by bytes, oldest first; entries also expire, so a rewritten object is read again.
 */
import type { Readable } from 'node:stream';
import type { Storage, StoredObject } from '../common';
import { SharedResults } from './shared-results';

/** What one shared read holds, by default. */
export const DEFAULT_SHARED_READS_MAX_BYTES = 64 * 1024 ** 2;
export const DEFAULT_SHARED_READS_TTL_MS = 60_000;

export class SharedReads implements Storage {
  private readonly bodies: SharedResults<Buffer>;

  constructor(
    private readonly storage: Storage,
    maxBytes = DEFAULT_SHARED_READS_MAX_BYTES,
    ttlMs = DEFAULT_SHARED_READS_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.bodies = new SharedResults((body) => body.length, maxBytes, ttlMs, now);
  }

  get(key: string): Promise<Buffer> {
    return this.bodies.get(key, () => this.storage.get(key));
  }

  put(key: string, body: Buffer | Readable): Promise<void> {
    this.bodies.forget(key);
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
    this.bodies.forget(key);
    return this.storage.delete(key);
  }
}
