export type { RawImage, Box, FaceDetection, Yuv420Image, YuvMatrix } from './raw-image';
export type { DetectionFrameSink } from './detection-frames';
export { yuv420Bytes } from './raw-image';
export { SchemaValidator } from './schema-validator';
export { matrixOfYuvFrame, yuvFrameFormat, yuvMatrixOf } from './yuv-matrix';
export {
  VideoRejectedError,
  InvalidMessageError,
  InfrastructureError,
  ShutdownError,
  DeadlineExceededError,
  isRetryable,
  describeError,
  type FailureCode,
  type StageName,
  type ErrorContext,
  type Dependency,
} from './errors';
export { settleFailure, failureKind, settlementOutcome, HAND_BACK_DELAY_MS, type Settlement, type FailureKind } from './failure-policy';
export { DependencyGate, type DependencyGateOptions, type DependencyProbe, type DownDependency } from './dependency-gate';
export { InFlightHandlers } from './in-flight-handlers';
export { DEFAULT_RETRY_POLICY, nextRetryDelayMs, type RetryPolicy } from './retry-policy';
export * from './messages';
export { createEnvelope, validateEnvelope, parseEnvelope } from './envelope';
export {
  UnroutableError,
  deadLetterQueueName,
  type Transport,
  type BrokerTransport,
  type QueueSpec,
  type ConsumeOptions,
  type Delivery,
  type MessageHandler,
  type Subscription,
  type ExternalDelivery,
  type PublishOptions,
} from './transport/transport';
export { MemoryTransport } from './transport/memory-transport';
export { GroupTransport } from './transport/group-transport';
export {
  AmqpTransport,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_CLOSE_GRACE_MS,
  type AmqpTransportOptions,
} from './transport/amqp/amqp-transport';
export { BrokerUnavailableError, TransportClosedError, DEFAULT_RECONNECT, type ReconnectOptions } from './transport/amqp/amqp-connection';
export { AmqpNames, brokerQueuesOf, sharedBrokerQueues, sharedExchanges, DEFAULT_RETRY_DELAY_TIERS_MS } from './transport/amqp/amqp-topology';
export { AMQP_HEADERS } from './transport/amqp/amqp-headers';
export { ObjectNotFoundError, assertValidKey, type Storage, type StoredObject, type VersionedStorage, type VersionedObject } from './storage/storage';
export { LocalStorage } from './storage/local-storage';
export { MemoryStorage } from './storage/memory-storage';
export { BufferPool, DEFAULT_POOL_IDLE_MS, DEFAULT_POOL_MAX_FREE_BYTES, type BufferPoolOptions } from './buffer-pool';
export { createLogger, createSilentLogger, type Logger, type LoggerOptions } from './logger';
export { PipelineMetrics } from './metrics';
export { startMetricsServer, type HealthEndpoints, type MetricsServer } from './metrics-server';
export { DEFAULT_HEALTH_CHECK_TIMEOUT_MS, HealthRegistry, type HealthCheck, type HealthReport, type HealthStatus } from './health';
export { QueueDepthMetrics, type QueueDepth, type QueueInspector, type SampledQueue } from './queue-depth-metrics';
export { AmqpQueueInspector, type AmqpQueueInspectorOptions } from './transport/amqp/amqp-queue-inspector';
export {
  CONFIG_OPTIONS,
  autoBatchMaxSize,
  autoFaceBatchSize,
  resolveConfig,
  configTableMarkdown,
  ConfigError,
  type DeepsiftConfig,
  type ConfigOption,
  type AggregationName,
} from './config';
export { createModelSession, createOnnxSession, type GraphOptimizationLevel, type ModelRuntimeSettings, type OnnxSession, type OnnxSessionOptions } from './onnx-session';
export { createWorkerSession, type OnnxSessionLike, type TensorData, type InputMetadata } from './onnx-worker-session';
export { ROUTING, QUEUES, pipelineQueues, stageQueues } from './topology';
export { consumeAsStage, publishVideoFailure, elapsedMs, type StageDeps, type StageHandler, type StageConsumeOptions } from './stage-consumer';
export { cropBlobKey } from './crop-key';
export { writePrivateTempFile, TooLargeError, type PrivateTempFile, type PrivateTempFileOptions } from './private-temp-file';
export { ownedTempPrefix, removeStaleTempFolders } from './stale-temp-folders';
export { KeyedLock } from './keyed-lock';
export { LocalVideoFiles } from './local-video-files';
export {
  S3Storage,
  createS3StorageFromEnv,
  s3StorageOptionsFromConfig,
  DEFAULT_S3_LIST_PAGE_SIZE,
  DEFAULT_S3_PART_SIZE_BYTES,
  type S3StorageOptions,
  type S3Config,
  type S3StoredObject,
  type S3ObjectHead,
} from './storage/s3-storage';
export { analysisStateKey, workPrefix, safeKeySegment } from './work-area';
