/**
 * Bucket notifications as a source of work: the S3 event JSON that MinIO publishes over
 * AMQP (`MINIO_NOTIFY_AMQP_*`) and AWS S3 sends to SQS/SNS/EventBridge-to-queue. Only
 * "object created" records become work; test events and other event kinds are skipped.
 * Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * and MinIO's `event.Event` (minio/minio internal/event/event.go).
 */
import { createHash } from 'node:crypto';
import { InvalidMessageError } from '../common';

/** One object-created record, with its key decoded. */
export interface S3ObjectEvent {
  /** As published: `s3:ObjectCreated:Put` (MinIO) or `ObjectCreated:Put` (AWS). */
  eventName: string;
  /** ISO 8601, when the server recorded the event. */
  eventTime?: string;
  bucket: string;
  /** The object key, URL-decoded (`+` is a space). */
  key: string;
  sizeBytes: number;
  /** The ETag without quotes (`<md5>` or `<md5>-<parts>`). */
  eTag: string;
  versionId?: string;
  /** Orders events for the same key (hex; larger is later, compare equal-length strings). */
  sequencer?: string;
}

/** The object-created actions that write new bytes; tagging/retention/legal-hold updates do not. */
const CREATED_ACTIONS = new Set(['Put', 'Post', 'Copy', 'CompleteMultipartUpload']);

/**
 * Parses a notification message into its object-created events. A message without
 * `Records` (`s3:TestEvent`, MinIO's bare test payloads) gives an empty list; other event
 * kinds are skipped. Throws `InvalidMessageError`, with the reason, for anything else.
 */
export function parseS3Event(body: Buffer | string): S3ObjectEvent[] {
  let message: unknown;
  try {
    message = JSON.parse(body.toString());
  } catch (error) {
    throw new InvalidMessageError(`S3 event is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(message)) throw new InvalidMessageError('S3 event is not a JSON object');
  if (message.Records === undefined || message.Records === null) return [];
  if (!Array.isArray(message.Records)) throw new InvalidMessageError('S3 event: Records is not an array');

  const events: S3ObjectEvent[] = [];
  message.Records.forEach((record: unknown, index: number) => {
    const where = `S3 event: Records[${index}]`;
    if (!isObject(record)) throw new InvalidMessageError(`${where} is not an object`);
    const eventName = record.eventName;
    if (typeof eventName !== 'string') throw new InvalidMessageError(`${where}.eventName is not a string`);
    if (!isObjectCreated(eventName)) return;
    events.push(parseCreatedRecord(record, eventName, where));
  });
  return events;
}

/**
 * The deduplication key of an object version: SHA-256 (hex) of bucket, key, ETag and
 * version id. A replayed or reordered event for the same bytes gives the same key, so
 * it maps to the same marker. The sequencer is left out on purpose: it orders events,
 * it does not identify bytes, and an older event replayed late must still be a duplicate.
 */
export function dedupeKey(object: { bucket: string; key: string; eTag: string; versionId?: string }): string {
  const eTag = object.eTag.replace(/^"|"$/g, '');
  return createHash('sha256')
    .update(JSON.stringify([object.bucket, object.key, eTag, object.versionId ?? '']))
    .digest('hex');
}

function parseCreatedRecord(record: Record<string, unknown>, eventName: string, where: string): S3ObjectEvent {
  const s3 = record.s3;
  if (!isObject(s3)) throw new InvalidMessageError(`${where}.s3 is missing`);
  const bucket = s3.bucket;
  if (!isObject(bucket) || typeof bucket.name !== 'string' || bucket.name === '') {
    throw new InvalidMessageError(`${where}.s3.bucket.name is missing`);
  }
  const object = s3.object;
  if (!isObject(object)) throw new InvalidMessageError(`${where}.s3.object is missing`);
  if (typeof object.key !== 'string' || object.key === '') throw new InvalidMessageError(`${where}.s3.object.key is missing`);
  if (typeof object.size !== 'number' || !Number.isInteger(object.size) || object.size < 0) {
    throw new InvalidMessageError(`${where}.s3.object.size is not a non-negative integer`);
  }
  if (typeof object.eTag !== 'string' || object.eTag === '') throw new InvalidMessageError(`${where}.s3.object.eTag is missing`);
  for (const field of ['versionId', 'sequencer'] as const) {
    if (object[field] !== undefined && typeof object[field] !== 'string') {
      throw new InvalidMessageError(`${where}.s3.object.${field} is not a string`);
    }
  }
  if (record.eventTime !== undefined && typeof record.eventTime !== 'string') {
    throw new InvalidMessageError(`${where}.eventTime is not a string`);
  }

  let key: string;
  try {
    // Keys are form-encoded (Go's url.QueryEscape in MinIO): '+' is a space, '%2B' a '+'.
    key = decodeURIComponent(object.key.replace(/\+/g, ' '));
  } catch (error) {
    throw new InvalidMessageError(`${where}.s3.object.key is not URL-encoded: ${object.key}`, { cause: error });
  }
  return {
    eventName,
    eventTime: record.eventTime as string | undefined,
    bucket: bucket.name,
    key,
    sizeBytes: object.size,
    eTag: object.eTag.replace(/^"|"$/g, ''),
    // MinIO sends "" for unversioned buckets: no version.
    versionId: object.versionId === '' ? undefined : (object.versionId as string | undefined),
    sequencer: object.sequencer as string | undefined,
  };
}

function isObjectCreated(eventName: string): boolean {
  const match = /^(?:s3:)?ObjectCreated:(\w+)$/.exec(eventName);
  return match !== null && CREATED_ACTIONS.has(match[1]!);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
