export { LocalIngest, type IngestedInput } from './local-ingest';
export {
  expandLocalInputs,
  hashFile,
  hashStream,
  pathVideoId,
  NotARegularFileError,
  VIDEO_EXTENSIONS,
  type ExpandOptions,
  type LocalInput,
  type SkippedEntry,
} from './local-source';
export { parseS3Event, dedupeKey, type S3ObjectEvent } from './s3-event';
export {
  S3Poller,
  DEFAULT_POLL_PREFIX,
  DEFAULT_QUEUED_MARKER_PREFIX,
  type S3PollerOptions,
  type PolledObject,
  type PollableStorage,
} from './s3-poller';
export {
  fetchUrlToTempFile,
  UrlUnavailableError,
  DEFAULT_URL_MAX_REDIRECTS,
  DEFAULT_URL_CONNECT_TIMEOUT_MS,
  DEFAULT_URL_IDLE_TIMEOUT_MS,
  DEFAULT_URL_TOTAL_TIMEOUT_MS,
  type UrlFetchOptions,
  type FetchedVideo,
} from './url-fetcher';
export { isPublicAddress } from './address-policy';
export { ObjectIngest, EVENT_MARKER_PREFIX, type ObjectIngestDeps, type ObjectIngestOptions, type SubmitOptions } from './object-ingest';
export { parseCrawlerJob, crawlerJobUri, type CrawlerJob } from './crawler-job';
export { CrawlerJobPublisher } from './crawler-job-publisher';
