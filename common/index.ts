export type { RawImage, Box, FaceDetection } from './raw-image';
export {
  VideoRejectedError,
  InvalidMessageError,
  isRetryable,
  describeError,
  type FailureCode,
  type StageName,
  type ErrorContext,
} from './errors';
export { DEFAULT_RETRY_POLICY, nextRetryDelayMs, type RetryPolicy } from './retry-policy';
export * from './messages';
export { createEnvelope, validateEnvelope, parseEnvelope } from './envelope';
export {
  UnroutableError,
  deadLetterQueueName,
  type Transport,
  type QueueSpec,
  type ConsumeOptions,
  type Delivery,
  type MessageHandler,
  type Subscription,
  type ExternalDelivery,
} from './transport';
export { MemoryTransport } from './memory-transport';
export {
  AmqpTransport,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_CLOSE_GRACE_MS,
  type AmqpTransportOptions,
} from './amqp-transport';
export { BrokerUnavailableError, TransportClosedError, DEFAULT_RECONNECT, type ReconnectOptions } from './amqp-connection';
export { AmqpNames, brokerQueuesOf, DEFAULT_RETRY_DELAY_TIERS_MS } from './amqp-topology';
export { AMQP_HEADERS } from './amqp-headers';
export { ObjectNotFoundError, assertValidKey, type Storage, type StoredObject } from './storage';
export { LocalStorage } from './local-storage';
export { MemoryStorage } from './memory-storage';
export { createLogger, createSilentLogger, type Logger, type LoggerOptions } from './logger';
export { PipelineMetrics } from './metrics';
export { startMetricsServer, type HealthEndpoints, type MetricsServer } from './metrics-server';
export { DEFAULT_HEALTH_CHECK_TIMEOUT_MS, HealthRegistry, type HealthCheck, type HealthReport, type HealthStatus } from './health';
export { QueueDepthMetrics, type QueueDepth, type QueueInspector, type SampledQueue } from './queue-depth-metrics';
export { AmqpQueueInspector, type AmqpQueueInspectorOptions } from './amqp-queue-inspector';
export {
  CONFIG_OPTIONS,
  autoBatchMaxSize,
  resolveConfig,
  configTableMarkdown,
  ConfigError,
  type DeepsiftConfig,
  type ConfigOption,
  type AggregationName,
} from './config';
export { createOnnxSession, type OnnxSession, type OnnxSessionOptions } from './onnx-session';
export { createWorkerSession, type OnnxSessionLike, type TensorData, type InputMetadata } from './onnx-worker-session';
export { ROUTING, QUEUES, pipelineQueues, stageQueues } from './topology';
export { consumeAsStage, publishVideoFailure, elapsedMs, type StageDeps, type StageHandler } from './stage-consumer';
export { cropBlobKey } from './crop-key';
export { writePrivateTempFile, TooLargeError, type PrivateTempFile } from './private-temp-file';
export { KeyedLock } from './keyed-lock';
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
} from './s3-storage';
export { workPrefix } from './work-area';
