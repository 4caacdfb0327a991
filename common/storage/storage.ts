/**
 * The storage contract: videos, intermediate pixels and reports by key. Keys use `/`
 * as separator, like S3 object keys. `LocalStorage` keeps them in a folder,
 * `MemoryStorage` in process memory (the embedded mode's work area), `S3Storage` in an
 * S3 or MinIO bucket (distributed mode).
 */
import type { Readable } from 'node:stream';

/** One stored object, as `list` returns it. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
}

export interface Storage {
  /** Writes an object whole: readers see the old object or the new one, never a part. */
  put(key: string, body: Buffer | Readable): Promise<void>;
  /** Reads an object; rejects with `ObjectNotFoundError` when absent. */
  get(key: string): Promise<Buffer>;
  /** Opens an object for streaming; rejects with `ObjectNotFoundError` when absent. */
  stream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /** Removes an object; does nothing when absent. */
  delete(key: string): Promise<void>;
}

/** An object's bytes and the version tag a conditional write compares (an ETag on S3). */
export interface VersionedObject {
  body: Buffer;
  version: string;
}

/**
 * Compare-and-swap on objects, for state that several processes update (the aggregator's
 * per-analysis state): S3 conditional writes (`If-Match`, `If-None-Match`), or their
 * in-process equivalent in memory.
 */
export interface VersionedStorage {
  /** The object and its version, or undefined when absent. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
  /**
   * Writes only if the object is still at version `ifVersion` (`null`: only if absent).
   * Resolves with the new version, or undefined when another writer changed it first.
   */
  putConditional(key: string, body: Buffer, ifVersion: string | null): Promise<string | undefined>;
}

/** The object does not exist. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object at key "${key}"`);
  }
}

/** Rejects keys that could escape a storage root or are not plain relative paths. */
export function assertValidKey(key: string): void {
  const parts = key.split('/');
  if (key.length === 0 || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`invalid storage key "${key}"`);
  }
}
