/**
 * The ingest stage of the distributed mode: turns S3 objects (bucket notifications,
 * polling, crawler jobs) and URLs (crawler jobs) into validated `video.job` messages.
 * Every video is hashed first: its SHA-256 is the videoId and the report key. A URL's
 * bytes are fetched once, safely, and kept in the work area for the frame-extractor.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  KeyedLock,
  ObjectNotFoundError,
  publishVideoFailure,
  VideoRejectedError,
  type ObjectSource,
  type S3Storage,
  type StageDeps,
  workPrefix,
} from '../common';
import { crawlerJobUri, parseCrawlerJob } from './crawler-job';
import { hashStream } from './local-source';
import { submitJob } from './submit-job';
import { dedupeKey, parseS3Event, type S3ObjectEvent } from './s3-event';
import { DEFAULT_QUEUED_MARKER_PREFIX } from './s3-poller';
import { fetchUrlToTempFile } from './url-fetcher';

export interface ObjectIngestOptions {
  /** Detectors run when a job names none. */
  defaultDetectors: string[];
  /** Every detector a job may name. */
  knownDetectors: ReadonlySet<string>;
  maxVideoBytes: number;
  allowPrivateUrls: boolean;
  /** Key prefix that bucket notifications are accepted for. */
  incomingPrefix: string;
}

export interface ObjectIngestDeps extends StageDeps {
  bucket: S3Storage;
}

/** What a submission may say besides where the video is. */
export interface SubmitOptions {
  correlationId?: string;
  detectors?: string[];
}

/**
 * Where markers of queued object versions are kept, so that a replayed notification is not
 * analysed again; the same markers as the poller's, so that both sources may run together.
 */
export const EVENT_MARKER_PREFIX = DEFAULT_QUEUED_MARKER_PREFIX;

export class ObjectIngest {
  private readonly perObject = new KeyedLock();

  constructor(
    private readonly deps: ObjectIngestDeps,
    private readonly options: ObjectIngestOptions,
  ) {}

  /** Handles one crawler job message (see `crawler-job.schema.json`). */
  async handleCrawlerJob(body: Buffer): Promise<void> {
    const job = parseCrawlerJob(body, this.options.knownDetectors);
    const submit = { correlationId: job.correlationId, detectors: job.detectors };
    if ('url' in job.source) return this.submitUrl(job.source.url, submit);
    if (job.source.s3.bucket !== this.deps.bucket.bucket) {
      // Reported rather than dead-lettered: the crawler asked for something this deployment cannot read.
      return this.fail(crawlerJobUri(job), 's3', submit, 'FILE_UNREADABLE', `bucket "${job.source.s3.bucket}" is not served by this deployment (it reads "${this.deps.bucket.bucket}")`);
    }
    return this.submitObject(job.source.s3.key, submit);
  }

  /** Handles one bucket notification (MinIO or AWS format); replayed events are skipped. */
  async handleS3Event(body: Buffer): Promise<void> {
    for (const event of parseS3Event(body)) {
      // Copies of one notification handled at once in this process: one after the other, so the marker check holds.
      await this.perObject.run(dedupeKey(event), () => this.handleObjectEvent(event));
    }
  }

  private async handleObjectEvent(event: S3ObjectEvent): Promise<void> {
    const log = this.deps.logger.child({ stage: 'ingest', key: event.key });
    if (event.bucket !== this.deps.bucket.bucket || !event.key.startsWith(this.options.incomingPrefix)) {
      log.debug('Ignoring an event outside incoming/.', { bucket: event.bucket });
      return;
    }
    const marker = `${EVENT_MARKER_PREFIX}${dedupeKey(event)}`;
    if (await this.deps.bucket.exists(marker)) {
      log.info('Duplicate bucket notification skipped.', { eTag: event.eTag });
      return;
    }
    await this.submitObject(event.key, {});
    // Written after the job is published: a crash in between analyses the video twice
    // (one report, same key) rather than never.
    await this.deps.bucket.put(marker, Buffer.from(JSON.stringify({ key: event.key, eTag: event.eTag, at: new Date().toISOString() })));
  }


  /** Submits an object of the bucket. */
  async submitObject(key: string, submit: SubmitOptions): Promise<void> {
    const uri = `s3://${this.deps.bucket.bucket}/${key}`;
    let hashed: { sha256: string; sizeBytes: number };
    try {
      const head = await this.deps.bucket.head(key);
      if (head.sizeBytes > this.options.maxVideoBytes) {
        return this.fail(uri, 's3', submit, 'VIDEO_TOO_LARGE', `${uri} is ${head.sizeBytes} bytes, over the ${this.options.maxVideoBytes}-byte limit`);
      }
      hashed = await hashStream(await this.deps.bucket.stream(key));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return this.fail(uri, 's3', submit, 'FILE_NOT_FOUND', `${uri} does not exist`);
      throw error;
    }
    await this.publishJob(hashed.sha256, { kind: 's3', uri, bucket: this.deps.bucket.bucket, key, submittedAt: new Date().toISOString() }, hashed.sizeBytes, submit);
  }

  /** Fetches a URL (size-capped, public addresses only unless allowed) and submits its bytes. */
  async submitUrl(url: string, submit: SubmitOptions): Promise<void> {
    let fetched;
    try {
      fetched = await fetchUrlToTempFile(url, { maxBytes: this.options.maxVideoBytes, allowPrivateNetworks: this.options.allowPrivateUrls });
    } catch (error) {
      if (error instanceof VideoRejectedError) return this.fail(url, 'url', submit, error.code, error.message);
      throw error;
    }
    try {
      const { sha256, sizeBytes } = await hashStream(createReadStream(fetched.path));
      const correlationId = submit.correlationId ?? randomUUID();
      const key = `${workPrefix(sha256, correlationId)}source.video`;
      await this.deps.bucket.put(key, createReadStream(fetched.path));
      await this.publishJob(sha256, { kind: 'url', uri: url, bucket: this.deps.bucket.bucket, key, submittedAt: new Date().toISOString() }, sizeBytes, { ...submit, correlationId });
    } finally {
      await fetched.remove();
    }
  }

  private async publishJob(videoId: string, source: ObjectSource, sizeBytes: number, submit: SubmitOptions): Promise<void> {
    await submitJob(this.deps, videoId, submit.correlationId ?? randomUUID(), {
      source,
      sizeBytes,
      detectors: submit.detectors ?? this.options.defaultDetectors,
    });
  }

  /** A submission that cannot be analysed: a failed report, keyed by the SHA-256 of its URI. */
  private async fail(uri: string, kind: 's3' | 'url', submit: SubmitOptions, code: VideoRejectedError['code'], message: string): Promise<void> {
    const videoId = createHash('sha256').update(`uri:${uri}`).digest('hex');
    this.deps.logger.warn('Submission rejected.', { stage: 'ingest', videoId, uri, code, error: message });
    const source: ObjectSource = { kind, uri, bucket: this.deps.bucket.bucket, key: '(none)', submittedAt: new Date().toISOString() };
    await publishVideoFailure(this.deps.transport, { videoId, correlationId: submit.correlationId ?? randomUUID(), source }, { stage: 'ingest', code, message });
  }
}
