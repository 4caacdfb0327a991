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
} from './transport';
export { MemoryTransport } from './memory-transport';
export { ObjectNotFoundError, assertValidKey, type Storage, type StoredObject } from './storage';
export { LocalStorage } from './local-storage';
export { MemoryStorage } from './memory-storage';
export { createLogger, createSilentLogger, type Logger, type LoggerOptions } from './logger';
export { PipelineMetrics } from './metrics';
export { startMetricsServer, type MetricsServer } from './metrics-server';
export {
  CONFIG_OPTIONS,
  resolveConfig,
  configTableMarkdown,
  ConfigError,
  type DeepsiftConfig,
  type ConfigOption,
  type AggregationName,
} from './config';
export { createOnnxSession, ort, type OnnxSession, type OnnxSessionOptions } from './onnx-session';
export { ROUTING, QUEUES, pipelineQueues } from './topology';
export { consumeAsStage, publishVideoFailure, elapsedMs, type StageDeps, type StageHandler } from './stage-consumer';
export { cropBlobKey } from './crop-key';
