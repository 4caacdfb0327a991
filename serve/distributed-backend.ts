/**
 * The distributed back end: a running deployment does the work. Uploads go to its bucket
 * (`uploads/<uuid>/<name>`), each job is published as a crawler job whose correlation id is
 * the job id, and the report is read from `reports/<videoId>.json` when the results
 * exchange announces it (with a poll of the bucket as a fallback for a missed announcement).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ReportAnnouncement, VideoReport } from '../aggregator';
import { ObjectNotFoundError, S3Storage, s3StorageOptionsFromConfig, type DeepsiftConfig, type Logger } from '../common';
import { parseCrawlerJob } from '../ingest';
import { ApiError } from './api-error';
import type { AnalysisBackend, AnalysisHooks, AnalysisSource, MediaSource, StoredVideo } from './analysis-backend';
import { DeploymentLink } from './deployment-link';
import { contentTypeOfExtension, isVideoId } from './media-types';
import type { VideoInspector } from './video-inspector';

/** How often a waiting job looks for its report in the bucket, besides the announcement. */
export const DEFAULT_REPORT_POLL_INTERVAL_MS = 5_000;

/** Limits of the distributed back end. */
export interface DistributedBackendOptions {
  maxUploadBytes: number;
  reportPollIntervalMs?: number;
}

interface Waiter {
  resolve(announcement: ReportAnnouncement): void;
}

/** A running deployment as the API's back end; `create` connects to its broker and bucket. */
export class DistributedBackend implements AnalysisBackend {
  readonly kind = 'distributed';
  readonly acceptsS3 = true;
  readonly detectors: readonly string[];
  readonly defaultDetectors: readonly string[];
  readonly maxUploadBytes: number;
  private readonly waiters = new Map<string, Waiter>();
  private readonly media = new Map<string, { key: string; sizeBytes: number; contentType: string }>();
  private readonly rangeClient: S3Client;
  private link!: DeploymentLink;
  private closed = false;

  private constructor(
    private readonly bucket: S3Storage,
    config: DeepsiftConfig,
    private readonly options: DistributedBackendOptions,
  ) {
    this.detectors = config.detectors;
    this.defaultDetectors = config.detectors;
    this.maxUploadBytes = options.maxUploadBytes;
    const s3 = s3StorageOptionsFromConfig(config);
    this.rangeClient = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      requestChecksumCalculation: s3.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: s3.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    });
  }

  /** Connects to the deployment's broker and bucket and follows its results exchange. */
  static async create(config: DeepsiftConfig, logger: Logger, options: DistributedBackendOptions): Promise<DistributedBackend> {
    const bucket = new S3Storage(s3StorageOptionsFromConfig(config));
    const backend = new DistributedBackend(bucket, config, options);
    try {
      backend.link = await DeploymentLink.open({ amqpUrl: config.amqpUrl, namespace: config.namespace }, logger, (announcement) => {
        const waiter = backend.waiters.get(announcement.correlationId);
        backend.waiters.delete(announcement.correlationId);
        waiter?.resolve(announcement);
      });
    } catch (error) {
      bucket.close();
      backend.rangeClient.destroy();
      throw error;
    }
    return backend;
  }

  async storeUpload(upload: Readable, inspector: VideoInspector, fileName: string): Promise<StoredVideo> {
    const key = `uploads/${randomUUID()}/${safeObjectName(fileName)}`;
    const body = new PassThrough();
    // The upload to the bucket starts with the first bytes the inspector lets through.
    const [piped, stored] = await Promise.allSettled([pipeline(upload, inspector, body), this.bucket.put(key, body)]);
    if (piped.status === 'rejected' || stored.status === 'rejected') {
      await this.bucket.delete(key).catch(() => undefined);
      // The upload's own refusal (413, 415) before whatever it made the bucket upload say.
      throw piped.status === 'rejected' ? piped.reason : (stored as PromiseRejectedResult).reason;
    }
    const inspected = inspector.result();
    this.media.set(inspected.videoId, { key, sizeBytes: inspected.sizeBytes, contentType: inspected.type.contentType });
    return { ...inspected, fileName, location: key };
  }

  async analyse(source: AnalysisSource, detectors: string[], jobId: string, hooks: AnalysisHooks): Promise<VideoReport> {
    const jobSource = 'stored' in source ? { s3: { bucket: this.bucket.bucket, key: source.stored.location } } : source;
    const job = parseCrawlerJob(JSON.stringify({ schemaVersion: 1, source: jobSource, detectors, correlationId: jobId }), new Set(this.detectors));
    const announced = new Promise<ReportAnnouncement>((resolve) => this.waiters.set(jobId, { resolve }));
    try {
      await this.link.publish(job);
    } catch (error) {
      this.waiters.delete(jobId);
      throw new ApiError(503, 'DEPLOYMENT_UNAVAILABLE', `the deployment did not take the job: ${(error as Error).message}`, { cause: error });
    }
    hooks.onStage('analysis');
    const videoId = 'stored' in source ? source.stored.videoId : undefined;
    const announcement = await this.awaitReport(jobId, announced, videoId);
    hooks.onVideoId(announcement.videoId);
    const report = await this.readReport(announcement.videoId);
    if (!report) throw new ApiError(502, 'REPORT_MISSING', `the deployment announced the report of ${announcement.videoId} but it is not in the bucket`);
    return report;
  }

  async readReport(videoId: string): Promise<VideoReport | undefined> {
    if (!isVideoId(videoId)) return undefined;
    try {
      return JSON.parse((await this.bucket.get(`reports/${videoId}.json`)).toString()) as VideoReport;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async openMedia(videoId: string): Promise<MediaSource | undefined> {
    if (!isVideoId(videoId)) return undefined;
    let stored = this.media.get(videoId);
    if (!stored) {
      // After a restart: the report says where the video came from; only our bucket is served.
      const uri = (await this.readReport(videoId))?.source.uri ?? '';
      const prefix = `s3://${this.bucket.bucket}/`;
      if (!uri.startsWith(prefix)) return undefined;
      const key = uri.slice(prefix.length);
      try {
        const head = await this.bucket.head(key);
        stored = { key, sizeBytes: head.sizeBytes, contentType: contentTypeOfExtension(key.slice(key.lastIndexOf('.'))) };
      } catch (error) {
        if (error instanceof ObjectNotFoundError) return undefined;
        throw error;
      }
    }
    const { key, sizeBytes, contentType } = stored;
    return {
      sizeBytes,
      contentType,
      open: async (start, end) => {
        const response = await this.rangeClient.send(new GetObjectCommand({ Bucket: this.bucket.bucket, Key: key, Range: `bytes=${start}-${end}` }));
        return response.Body as Readable;
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.close();
    this.bucket.close();
    this.rangeClient.destroy();
  }

  /** The announcement, or the report found in the bucket if the announcement was missed. */
  private async awaitReport(jobId: string, announced: Promise<ReportAnnouncement>, videoId: string | undefined): Promise<ReportAnnouncement> {
    const since = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const polled = new Promise<ReportAnnouncement>((resolve) => {
      if (!videoId) return;
      const poll = async () => {
        if (this.closed || !this.waiters.has(jobId)) return;
        const report = await this.readReport(videoId).catch(() => undefined);
        if (report?.correlationId === jobId || (report && Date.parse(report.createdAt) >= since)) {
          resolve({ videoId, correlationId: jobId, reportKey: `reports/${videoId}.json`, status: report.status, label: report.label, score: report.score, source: report.source });
          return;
        }
        timer = setTimeout(() => void poll(), this.options.reportPollIntervalMs ?? DEFAULT_REPORT_POLL_INTERVAL_MS);
      };
      timer = setTimeout(() => void poll(), this.options.reportPollIntervalMs ?? DEFAULT_REPORT_POLL_INTERVAL_MS);
    });
    try {
      return await Promise.race([announced, polled]);
    } finally {
      clearTimeout(timer);
      this.waiters.delete(jobId);
    }
  }
}

/** The upload's name as an object name: letters, digits, dot, dash and underscore only. */
function safeObjectName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned === '' ? 'video' : cleaned;
}
