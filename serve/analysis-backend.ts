/**
 * The contract between the API and what analyses videos: the embedded pipeline in this
 * process (`EmbeddedBackend`) or a running deployment on RabbitMQ and S3
 * (`DistributedBackend`). The routes, jobs and responses are the same for both.
 */
import type { Readable } from 'node:stream';
import type { VideoReport } from '../aggregator';
import type { InspectedVideo, VideoInspector } from './video-inspector';

/** A video that was uploaded and stored where the back end's pipeline reads it. */
export interface StoredVideo extends InspectedVideo {
  /** The name it was uploaded under, shown in the report's source. */
  fileName: string;
  /** Where the back end stored it (a local path or an object key). */
  location: string;
}

/** A video the back end fetches itself. */
export type RemoteSource = { url: string } | { s3: { bucket: string; key: string } };

/** What to analyse. */
export type AnalysisSource = { stored: StoredVideo } | RemoteSource;

/** Progress a back end reports while it analyses. */
export interface AnalysisHooks {
  /** The video's id, once its bytes are known (at once for uploads). */
  onVideoId(videoId: string): void;
  /** A step of the analysis: download, queued, analysis. */
  onStage(stage: string): void;
}

/** A stored video's bytes, readable by range. */
export interface MediaSource {
  sizeBytes: number;
  contentType: string;
  /** The bytes from `start` to `end`, both inclusive. */
  open(start: number, end: number): Promise<Readable>;
}

/** What analyses videos for the API: stores uploads, runs analyses, reads reports and media. */
export interface AnalysisBackend {
  readonly kind: 'embedded' | 'distributed';
  /** Detectors a job may ask for. */
  readonly detectors: readonly string[];
  /** Detectors a job gets when it names none. */
  readonly defaultDetectors: readonly string[];
  /** Largest video accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Whether `s3://` sources can be read. */
  readonly acceptsS3: boolean;
  /** Stores an upload that streams through `inspector`; resolves once it is stored and hashed. */
  storeUpload(upload: Readable, inspector: VideoInspector, fileName: string): Promise<StoredVideo>;
  /** Analyses one video; resolves with its report (a failed report included). */
  analyse(source: AnalysisSource, detectors: string[], jobId: string, hooks: AnalysisHooks): Promise<VideoReport>;
  /** The stored report of a video, or undefined. */
  readReport(videoId: string): Promise<VideoReport | undefined>;
  /** The video's bytes, when the back end has them. */
  openMedia(videoId: string): Promise<MediaSource | undefined>;
  close(): Promise<void>;
}
