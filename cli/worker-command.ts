/**
 * `deepsift worker <stage>`: one stage (or `all` five) as a long-running process on
 * RabbitMQ and S3. This is the process entry point of the distributed mode: it installs
 * the signal handlers and shuts down in order on SIGTERM or SIGINT.
 */
import {
  AmqpQueueInspector,
  AmqpTransport,
  ConfigError,
  HealthRegistry,
  QueueDepthMetrics,
  createLogger,
  PipelineMetrics,
  resolveConfig,
  S3Storage,
  s3StorageOptionsFromConfig,
  startMetricsServer,
  type DeepsiftConfig,
  type HealthEndpoints,
} from '../common';
import { distributedQueues } from './distributed-topology';
import { nodeSupportNotice } from './node-support';
import { deploymentQueues, workerReadiness, type WorkerHealthState } from './worker-health';
import { CliError, EXIT } from './exit-codes';
import {
  startAggregator,
  startDetectorWorkers,
  startFaceCropper,
  startFrameExtractor,
  startIngest,
  type Closable,
  type WorkerContext,
} from './worker-stages';

export const WORKER_STAGES = ['ingest', 'frame-extractor', 'face-cropper', 'detector-workers', 'aggregator', 'all'] as const;
export type WorkerStage = (typeof WORKER_STAGES)[number];

const STARTERS: Record<Exclude<WorkerStage, 'all'>, (ctx: WorkerContext) => Promise<Closable[]>> = {
  // Downstream first, so that nothing is produced before its consumer can take it.
  aggregator: startAggregator,
  'detector-workers': startDetectorWorkers,
  'face-cropper': startFaceCropper,
  'frame-extractor': startFrameExtractor,
  ingest: startIngest,
};

/** Runs the worker until SIGTERM or SIGINT; resolves with the exit status. */
export async function runWorker(stage: string, options: { detectors?: string }): Promise<number> {
  if (!(WORKER_STAGES as readonly string[]).includes(stage)) {
    throw new CliError(`unknown stage "${stage}": use one of ${WORKER_STAGES.join(', ')}`, EXIT.usage);
  }
  let config: DeepsiftConfig;
  let served: string[];
  try {
    config = resolveConfig(process.env, {});
    served = options.detectors === undefined ? config.detectors : resolveConfig({}, { detectors: options.detectors }).detectors;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const logger = createLogger({ level: config.logLevel }).child({ worker: stage });
  const nodeNotice = nodeSupportNotice();
  if (nodeNotice !== undefined) logger.warn(nodeNotice);
  const metrics = new PipelineMetrics();
  metrics.collectProcessMetrics();
  // Not ready until connected and started; /readyz says why.
  const health: HealthEndpoints = {
    liveness: new HealthRegistry(),
    readiness: new HealthRegistry().register('broker', () => ({ ok: false, reason: 'connecting to the broker' })),
  };
  const healthState: WorkerHealthState = { phase: 'starting', models: [] };
  const queueInspector = new AmqpQueueInspector({ url: config.amqpUrl, namespace: config.namespace });
  new QueueDepthMetrics(metrics.registry, queueInspector, deploymentQueues([...new Set([...config.detectors, ...served])]));
  const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(metrics.registry, config.metricsPort, undefined, health);

  let transport: AmqpTransport;
  try {
    transport = await AmqpTransport.connect({
      url: config.amqpUrl,
      namespace: config.namespace,
      logger,
      deliveryLimit: config.deliveryLimit,
      closeGraceMs: config.shutdownGraceMs,
    });
  } catch (error) {
    await queueInspector.close();
    await metricsServer?.close();
    throw new CliError(`cannot connect to RabbitMQ at ${redact(config.amqpUrl)}: ${(error as Error).message}`, EXIT.infrastructure);
  }
  const bucket = new S3Storage(s3StorageOptionsFromConfig(config));
  health.readiness = workerReadiness({ transport, storage: bucket }, healthState);
  const started: Closable[] = [];
  const shutdown = async () => {
    healthState.phase = 'draining';
    logger.info('Shutting down: no new work; finishing or handing back what is in flight.', { graceMs: config.shutdownGraceMs });
    const stopStages = (async () => {
      for (const part of started.reverse()) await part.close().catch((e: Error) => logger.warn('Stop failed.', { error: e.message }));
    })();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), config.shutdownGraceMs)));
    if ((await Promise.race([stopStages, graceOver])) === 'grace-over') {
      // Closing the connection hands the unacknowledged messages back to the broker.
      logger.warn('Grace time over: handing back the work still in flight.');
    }
    clearTimeout(timer);
    await transport.close();
    bucket.close();
    await queueInspector.close();
    await metricsServer?.close();
    logger.info('Stopped.');
  };

  try {
    for (const spec of distributedQueues([...new Set([...config.detectors, ...served])])) await transport.declareQueue(spec);
    const ctx: WorkerContext = { config, transport, bucket, logger, metrics, servedDetectors: served };
    const stages = stage === 'all' ? Object.values(STARTERS) : [STARTERS[stage as Exclude<WorkerStage, 'all'>]];
    for (const start of stages) started.push(...(await start(ctx)));
    healthState.models = [
      ...(stage === 'all' || stage === 'face-cropper' ? [config.faceDetector] : []),
      ...(stage === 'all' || stage === 'detector-workers' ? served : []),
    ];
    healthState.phase = 'running';
  } catch (error) {
    await shutdown();
    throw new CliError(`cannot start the ${stage} worker: ${(error as Error).message}`, EXIT.infrastructure, { cause: error });
  }
  logger.info('Worker ready.', { namespace: config.namespace, bucket: config.s3Bucket, detectors: served, metricsPort: metricsServer?.port });

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('Signal received.', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await shutdown();
  return EXIT.ok;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
