/**
 * `Storage` in an S3 bucket (AWS S3, MinIO, or any S3-compatible server), built on the
 * AWS SDK v3. Buffers go up in one PutObject; streams go through `@aws-sdk/lib-storage`'s
 * `Upload` (multipart above one part), so videos of any size are never held in memory.
 */
import type * as S3Sdk from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { resolveConfig, type DeepsiftConfig } from '../config';
import { describeError, InfrastructureError } from '../errors';
import { assertValidKey, ObjectNotFoundError, type Storage, type StoredObject, type VersionedObject, type VersionedStorage } from './storage';

/**
 * The AWS SDK is loaded with the first S3Storage, not with this module: common/ brings this
 * module along everywhere, and the SDK takes about 100 ms to load, which `deepsift scan` and
 * the other local commands would pay for nothing.
 */
let sdk: { s3: typeof S3Sdk; upload: typeof LibStorage } | undefined;
function awsSdk(): { s3: typeof S3Sdk; upload: typeof LibStorage } {
  sdk ??= { s3: require('@aws-sdk/client-s3') as typeof S3Sdk, upload: require('@aws-sdk/lib-storage') as typeof LibStorage };
  return sdk;
}

/** S3 returns at most 1,000 keys per ListObjectsV2 page. */
export const DEFAULT_S3_LIST_PAGE_SIZE = 1000;
/** Part size of multipart stream uploads (S3's minimum is 5 MiB). */
export const DEFAULT_S3_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** A connection to the store not made within this long fails (and is retried by the SDK). */
export const S3_CONNECTION_TIMEOUT_MS = 5_000;
/** A request whose socket stays idle this long fails: no S3 call hangs for ever. */
export const S3_REQUEST_TIMEOUT_MS = 60_000;

/** How to reach the bucket. */
export interface S3StorageOptions {
  /** Endpoint of an S3-compatible server (MinIO, s3rver); AWS's regional endpoint when unset. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO needs it). */
  forcePathStyle: boolean;
  /** Static credentials; the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Prepended to every key (e.g. `deepsift/`), so several deployments can share a bucket. */
  prefix?: string;
  /** Keys per ListObjectsV2 page (1–1000); default 1000. */
  listPageSize?: number;
  /** Part size of stream uploads, bytes; default 8 MiB. */
  partSizeBytes?: number;
  /**
   * Send `If-None-Match: *` on `putIfAbsent`'s PUT (AWS S3 since 2024, MinIO). Servers that
   * ignore the header (s3rver) still work, through the HEAD that precedes it; default true.
   */
  conditionalPuts?: boolean;
}

/** An object as S3 lists it: the storage contract's fields plus its ETag. */
export interface S3StoredObject extends StoredObject {
  /** The ETag without its quotes. */
  etag: string;
  lastModified?: Date;
}

/** What HeadObject says about an object. */
export interface S3ObjectHead {
  sizeBytes: number;
  /** The ETag without its quotes. */
  etag: string;
  versionId?: string;
}

/**
 * `Storage` in a bucket. Failures to reach the store (refused or dropped connections,
 * timeouts, 5xx answers, refused credentials) reject with an `InfrastructureError`
 * (dependency `storage`): they are about the deployment, never about a video.
 */
export class S3Storage implements Storage, VersionedStorage {
  readonly bucket: string;
  private readonly client: S3Sdk.S3Client;
  private readonly prefix: string;
  private readonly listPageSize: number;
  private readonly partSizeBytes: number;
  private readonly conditionalPuts: boolean;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.listPageSize = options.listPageSize ?? DEFAULT_S3_LIST_PAGE_SIZE;
    this.partSizeBytes = options.partSizeBytes ?? DEFAULT_S3_PART_SIZE_BYTES;
    this.conditionalPuts = options.conditionalPuts ?? true;
    if (!Number.isInteger(this.listPageSize) || this.listPageSize < 1 || this.listPageSize > 1000) {
      throw new RangeError(`listPageSize must be an integer in [1, 1000], got ${this.listPageSize}`);
    }
    this.client = new (awsSdk().s3.S3Client)({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Flexible checksums (CRC32 trailers, aws-chunked bodies) are AWS- and MinIO-only;
      // other S3-compatible servers would store the chunk framing as the object's bytes.
      requestChecksumCalculation: options.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: options.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      requestHandler: { connectionTimeout: S3_CONNECTION_TIMEOUT_MS, requestTimeout: S3_REQUEST_TIMEOUT_MS },
    });
  }

  /** Sends a command; what says the store is out of reach becomes an `InfrastructureError`. */
  private async call<T>(run: () => Promise<T>, what: string): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailableOr(error, what);
    }
  }

  /** Checks that the bucket can be reached with these credentials (a worker's start-up and health probe). */
  async ping(): Promise<void> {
    await this.call(() => this.client.send(new (awsSdk().s3.HeadBucketCommand)({ Bucket: this.bucket })), `HEAD bucket ${this.bucket}`);
  }

  async put(key: string, body: Buffer | Readable): Promise<void> {
    const Key = this.objectKey(key);
    if (Buffer.isBuffer(body)) {
      await this.call(() => this.client.send(new (awsSdk().s3.PutObjectCommand)({ Bucket: this.bucket, Key, Body: body, ContentLength: body.length })), `PUT ${key}`);
      return;
    }
    const upload = new (awsSdk().upload.Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: body },
      partSize: this.partSizeBytes,
      queueSize: 2,
      // A failed multipart upload is aborted, so no orphaned parts are left behind.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw unavailableOr(error, `PUT ${key}`);
    }
  }

  async get(key: string): Promise<Buffer> {
    return buffer(await this.stream(key));
  }

  async stream(key: string): Promise<Readable> {
    try {
      const response = await this.call(() => this.client.send(new (awsSdk().s3.GetObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) })), `GET ${key}`);
      // In Node the SDK's body is the HTTP response itself, a Readable.
      return response.Body as Readable;
    } catch (error) {
      throw notFoundOr(error, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.head(key);
      return true;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }

  /** Size, ETag and version of an object; rejects with `ObjectNotFoundError` when absent. */
  async head(key: string): Promise<S3ObjectHead> {
    try {
      const response = await this.call(() => this.client.send(
        new (awsSdk().s3.HeadObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) })), `HEAD ${key}`);
      return { sizeBytes: response.ContentLength ?? 0, etag: unquote(response.ETag), versionId: response.VersionId };
    } catch (error) {
      throw notFoundOr(error, key);
    }
  }

  /** Objects whose key starts with `prefix`, in key order, following ListObjectsV2 pages. */
  async *list(prefix: string): AsyncIterable<S3StoredObject> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call(() => this.client.send(
        new (awsSdk().s3.ListObjectsV2Command)({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: this.listPageSize,
          ContinuationToken,
        })), `LIST ${prefix}`);
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          sizeBytes: object.Size ?? 0,
          etag: unquote(object.ETag),
          lastModified: object.LastModified,
        };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 whether or not the object existed.
    await this.call(() => this.client.send(new (awsSdk().s3.DeleteObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) })), `DELETE ${key}`);
  }

  /** An object with its ETag, or undefined when absent. */
  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    try {
      const response = await this.call(() => this.client.send(new (awsSdk().s3.GetObjectCommand)({ Bucket: this.bucket, Key: this.objectKey(key) })), `GET ${key}`);
      return { body: await buffer(response.Body as Readable), version: unquote(response.ETag) };
    } catch (error) {
      const missing = notFoundOr(error, key);
      if (missing instanceof ObjectNotFoundError) return undefined;
      throw missing;
    }
  }

  /**
   * Writes `body` only if the object is still at `ifVersion` (its ETag; `null`: only if
   * absent), with `If-Match` / `If-None-Match: *` (AWS S3 and MinIO honour both). Resolves
   * with the new ETag, or undefined when another writer changed the object first.
   */
  async putConditional(key: string, body: Buffer, ifVersion: string | null): Promise<string | undefined> {
    try {
      const response = await this.call(() => this.client.send(
        new (awsSdk().s3.PutObjectCommand)({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentLength: body.length,
          ...(ifVersion === null ? { IfNoneMatch: '*' } : { IfMatch: `"${ifVersion}"` }),
        })), `PUT ${key}`);
      return unquote(response.ETag);
    } catch (error) {
      // 412: the condition failed; 409: a concurrent conditional write to the key is in progress.
      const status = httpStatusOf(error instanceof InfrastructureError ? error.cause : error);
      if (status === 412 || status === 409 || (ifVersion !== null && status === 404)) return undefined;
      throw error;
    }
  }

  /**
   * Writes a small object only if none exists at `key`; true when this call created it.
   * A HEAD first answers the common case (already there) cheaply; the PUT then carries
   * `If-None-Match: *`, so on AWS S3 and MinIO two racing writers cannot both win. A
   * server that ignores the header (s3rver) leaves a race between the HEAD and the PUT:
   * two concurrent callers may both get true.
   */
  async putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    if (await this.exists(key)) return false;
    try {
      await this.call(() => this.client.send(
        new (awsSdk().s3.PutObjectCommand)({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentLength: body.length,
          IfNoneMatch: this.conditionalPuts ? '*' : undefined,
        })), `PUT ${key}`);
      return true;
    } catch (error) {
      // 412: the object exists; 409: a concurrent conditional write to the key is in progress.
      const status = httpStatusOf(error);
      if (status === 412 || status === 409) return false;
      throw error;
    }
  }

  /** Closes the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }
}

/** The S3 settings of the resolved configuration (`DEEPSIFT_S3_*`, see config.ts). */
export type S3Config = Pick<DeepsiftConfig, 's3Endpoint' | 's3Region' | 's3Bucket' | 's3ForcePathStyle'>;

/**
 * Storage options from the resolved configuration. Path-style addressing defaults to on
 * when an endpoint is set (MinIO and most S3-compatible servers need it), off for AWS.
 * Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ...).
 */
export function s3StorageOptionsFromConfig(config: S3Config): S3StorageOptions {
  return {
    endpoint: config.s3Endpoint,
    region: config.s3Region,
    bucket: config.s3Bucket,
    forcePathStyle: config.s3ForcePathStyle ?? config.s3Endpoint !== undefined,
  };
}

/**
 * Builds an `S3Storage` from the environment (`DEEPSIFT_S3_ENDPOINT`, `DEEPSIFT_S3_REGION`,
 * `DEEPSIFT_S3_BUCKET`, `DEEPSIFT_S3_FORCE_PATH_STYLE`), through `resolveConfig`, so an
 * invalid value fails fast with a `ConfigError` naming its variable.
 */
export function createS3StorageFromEnv(env: NodeJS.ProcessEnv): S3Storage {
  return new S3Storage(s3StorageOptionsFromConfig(resolveConfig(env)));
}

function normalizePrefix(prefix: string): string {
  if (prefix === '') return '';
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function httpStatusOf(error: unknown): number | undefined {
  const inner = error instanceof InfrastructureError ? error.cause : error;
  return inner instanceof awsSdk().s3.S3ServiceException ? inner.$metadata.httpStatusCode : undefined;
}

/** Status codes that say the store, not the request, is at fault (or refuses this worker). */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof awsSdk().s3.S3ServiceException)) return true; // no answer: refused, reset, timed out
  const status = error.$metadata.httpStatusCode;
  if (status === undefined || status >= 500) return true;
  return status === 403 || error.name === 'NoSuchBucket' || error.name === 'InvalidAccessKeyId' || error.name === 'SignatureDoesNotMatch';
}

/** An `InfrastructureError` for failures that mean the store is out of reach; others unchanged. */
function unavailableOr(error: unknown, what: string): unknown {
  if (error instanceof ObjectNotFoundError || error instanceof InfrastructureError || !isUnavailable(error)) return error;
  if ((error as { name?: string })?.name === 'AbortError') return error;
  return new InfrastructureError('storage', `object store unavailable (${what}): ${describeError(error)}`, { cause: error });
}

function notFoundOr(error: unknown, key: string): unknown {
  if (error instanceof InfrastructureError) return error;
  if (error instanceof awsSdk().s3.S3ServiceException && error.name !== 'NoSuchBucket' && error.$metadata.httpStatusCode === 404) {
    return new ObjectNotFoundError(key);
  }
  return error;
}
