/** `deepsift serve`: the HTTP API and web app, on the embedded pipeline or a running deployment. */
export type { AnalysisBackend, AnalysisSource, AnalysisHooks, MediaSource, RemoteSource, StoredVideo } from './analysis-backend';
export { ApiError } from './api-error';
export { ApiKeyStore, ApiKeyConfigError, MIN_API_KEY_LENGTH, type ApiKeyIdentity } from './api-keys';
export { JobService, DEFAULT_MAX_JOBS, type JobView, type JobStatus, type ReportEvent } from './job-service';
export { MediaLinks, DEFAULT_MEDIA_LINK_TTL_MS } from './media-links';
export { buildServeApp, JSON_BODY_LIMIT_BYTES, type ServeAppDeps, type ServeAppOptions } from './serve-app';
// The back ends (EmbeddedBackend: ONNX Runtime; DistributedBackend: amqplib, AWS SDK) and
// startServer, which loads both, are imported from their files, so this barrel loads neither.
export type { EmbeddedBackend, EmbeddedBackendDeps, EmbeddedBackendOptions } from './embedded-backend';
export type { DistributedBackend, DistributedBackendOptions } from './distributed-backend';
export type { RunningServer, StartServerOptions } from './start-server';
export { sniffVideoType, SNIFF_BYTES, type SniffedType } from './video-sniffer';
export { parseByteRange, type RangeAnswer } from './byte-range';
