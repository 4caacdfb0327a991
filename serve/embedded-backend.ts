/**
 * The embedded back end: the five stages in this process (the pipeline of `deepsift scan`),
 * uploads kept in a local folder as `<videoId>.<ext>`, reports in a local folder as
 * `<videoId>.json`. Files are named only by the video's hash and a sniffed extension, so no
 * part of a request ever becomes a path.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { VideoReport } from '../aggregator';
import { KeyedLock, LocalStorage, ObjectNotFoundError, type DeepsiftConfig, type Logger, type PipelineMetrics } from '../common';
import { fetchUrlToTempFile } from '../ingest';
import { EmbeddedPipeline } from '../cli/embedded-pipeline';
import { closePipelineModels, loadPipelineModels, type PipelineModels } from '../cli/pipeline-models';
import { ApiError } from './api-error';
import type { AnalysisBackend, AnalysisHooks, AnalysisSource, MediaSource, StoredVideo } from './analysis-backend';
import { VideoInspector } from './video-inspector';
import { contentTypeOfExtension, isVideoId } from './media-types';

/** Logging and metrics of the embedded pipeline. */
export interface EmbeddedBackendDeps {
  logger: Logger;
  metrics: PipelineMetrics;
}

/** Where the embedded back end keeps uploads and reports, and its upload cap. */
export interface EmbeddedBackendOptions {
  uploadDir: string;
  reportsDir: string;
  maxUploadBytes: number;
}

/** The pipeline in this process as the API's back end; `create` loads the models and starts it. */
export class EmbeddedBackend implements AnalysisBackend {
  readonly kind = 'embedded';
  readonly acceptsS3 = false;
  readonly detectors: readonly string[];
  readonly defaultDetectors: readonly string[];
  readonly maxUploadBytes: number;
  private readonly reports: LocalStorage;
  /** One analysis of a video at a time: the pipeline keys its work (and its waiting report) by video. */
  private readonly perVideo = new KeyedLock();

  private constructor(
    private readonly config: DeepsiftConfig,
    private readonly pipeline: EmbeddedPipeline,
    private readonly models: PipelineModels,
    private readonly options: EmbeddedBackendOptions,
  ) {
    this.detectors = config.detectors;
    this.defaultDetectors = config.detectors;
    this.maxUploadBytes = options.maxUploadBytes;
    this.reports = new LocalStorage(options.reportsDir);
  }

  /** Loads the models of `config.detectors` and starts the pipeline. */
  static async create(config: DeepsiftConfig, deps: EmbeddedBackendDeps, options: EmbeddedBackendOptions): Promise<EmbeddedBackend> {
    await mkdir(options.uploadDir, { recursive: true });
    await mkdir(options.reportsDir, { recursive: true });
    const models = await loadPipelineModels(config, deps.logger);
    try {
      const pipeline = await EmbeddedPipeline.create(config, { ...deps, reports: new LocalStorage(options.reportsDir), models });
      return new EmbeddedBackend(config, pipeline, models, options);
    } catch (error) {
      await closePipelineModels(models);
      throw error;
    }
  }

  async storeUpload(upload: Readable, inspector: VideoInspector, fileName: string): Promise<StoredVideo> {
    const partial = path.join(this.options.uploadDir, `.upload-${randomUUID()}.partial`);
    try {
      await pipeline(upload, inspector, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
      const inspected = inspector.result();
      const location = path.join(this.options.uploadDir, `${inspected.videoId}${inspected.type.extension}`);
      await rename(partial, location);
      return { ...inspected, fileName, location };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async analyse(source: AnalysisSource, detectors: string[], _jobId: string, hooks: AnalysisHooks): Promise<VideoReport> {
    let stored: StoredVideo;
    if ('stored' in source) stored = source.stored;
    else if ('url' in source) {
      hooks.onStage('download');
      stored = await this.download(source.url);
    }
    else throw new ApiError(400, 'S3_NOT_AVAILABLE', 'the embedded back end reads uploads and http(s) URLs; s3:// sources need `deepsift serve --distributed`');
    hooks.onVideoId(stored.videoId);
    return this.perVideo.run(stored.videoId, () => {
      hooks.onStage('analysis');
      return this.pipeline.analyse({ uri: stored.fileName, path: stored.location }, detectors);
    });
  }

  async readReport(videoId: string): Promise<VideoReport | undefined> {
    if (!isVideoId(videoId)) return undefined;
    try {
      return JSON.parse((await this.reports.get(`${videoId}.json`)).toString()) as VideoReport;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  }

  async openMedia(videoId: string): Promise<MediaSource | undefined> {
    if (!isVideoId(videoId)) return undefined;
    const name = (await readdir(this.options.uploadDir)).find((n) => n.startsWith(`${videoId}.`) && !n.endsWith('.partial'));
    if (!name) return undefined;
    const file = path.join(this.options.uploadDir, name);
    const { size } = await stat(file);
    return {
      sizeBytes: size,
      contentType: contentTypeOfExtension(path.extname(name)),
      open: async (start, end) => createReadStream(file, { start, end }),
    };
  }

  async close(): Promise<void> {
    await this.pipeline.close();
    await closePipelineModels(this.models);
  }

  /** Fetches a URL with the crawler jobs' rules (size cap, timeouts, no private addresses). */
  private async download(url: string): Promise<StoredVideo> {
    const fetched = await fetchUrlToTempFile(url, { maxBytes: this.maxUploadBytes, allowPrivateNetworks: this.config.allowPrivateUrls });
    try {
      return await this.storeUpload(createReadStream(fetched.path), new VideoInspector(this.maxUploadBytes), url);
    } finally {
      await fetched.remove();
    }
  }
}
