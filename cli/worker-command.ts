/**
 * `deepsift worker <stage>`: one stage (or `all` five) as a long-running process on
 * RabbitMQ and S3. This is the process entry point of the distributed mode: it checks the
 * worker's dependencies before taking any work, installs the signal handlers, and shuts
 * down in order on SIGTERM or SIGINT: stop consuming, let handlers finish within the grace
 * time (then hand their messages back without spending an attempt), close the models,
 * then the connections. A dependency that stays unusable ends the worker with status 3.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AmqpQueueInspector,
  AmqpTransport,
  ConfigError,
  GroupTransport,
  LocalVideoFiles,
  MemoryStorage,
  QUEUES,
  HealthRegistry,
  QueueDepthMetrics,
  createLogger,
  describeError,
  InfrastructureError,
  PipelineMetrics,
  resolveConfig,
  S3Storage,
  s3StorageOptionsFromConfig,
  startMetricsServer,
  DependencyGate,
  type DeepsiftConfig,
  type Logger,
  type HealthEndpoints,
} from '../common';
import { distributedQueues } from './distributed-topology';
import { nodeSupportNotice } from './node-support';
import { deploymentQueues, workerReadiness, type WorkerHealthState } from './worker-health';
import { createToolLauncher } from '../frame-extractor';
import { CliError, EXIT } from './exit-codes';
import {
  startAggregator,
  startDetectorWorkers,
  startFaceCropper,
  startFrameExtractor,
  startIngest,
  type Started,
  type WorkerContext,
} from './worker-stages';
import { WORKER_STAGES, type WorkerStage } from './worker-stage-names';

const execFileAsync = promisify(execFile);

/** Time between probes of a dependency that is down. */
const DEPENDENCY_PROBE_INTERVAL_MS = 1_000;

type StageName = Exclude<WorkerStage, 'all'>;

/** The pipeline's stages in the order work flows through them. */
const PIPELINE_ORDER: StageName[] = ['ingest', 'frame-extractor', 'face-cropper', 'detector-workers', 'aggregator'];

/** What a worker process runs: its stages, and those among them fed by a direct hand-off. */
export interface WorkerPlan {
  stages: StageName[];
  /** Stages that take their messages from the stage before them in this process, not the broker. */
  grouped: StageName[];
}

/**
 * Reads `<stage>`: one stage, `all` (every stage; the frames go to the face cropper in
 * memory, everything else through the broker, as apart), or a
 * stage group: adjacent stages joined by commas (`frame-extractor,face-cropper`), run in
 * one process with direct hand-offs between them. Only the face cropper and the detector
 * workers can be fed by a hand-off: ingest and the aggregator also take messages from
 * outside any group (notifications, failures from every stage), so they always consume
 * from the broker.
 */
export function planWorker(stage: string): WorkerPlan {
  // Everything in one process: the face cropper takes the frames by hand-off (in memory);
  // the other stages still meet on the broker, as apart.
  if (stage === 'all') return { stages: [...PIPELINE_ORDER], grouped: ['face-cropper'] };
  const names = stage.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(PIPELINE_ORDER as string[]).includes(name)) {
      throw new CliError(`unknown stage "${name}": use one of ${WORKER_STAGES.join(', ')}, or adjacent stages joined by commas`, EXIT.usage);
    }
  }
  const positions = names.map((n) => PIPELINE_ORDER.indexOf(n as StageName)).sort((a, b) => a - b);
  if (new Set(positions).size !== positions.length || positions.some((p, i) => i > 0 && p !== positions[i - 1]! + 1)) {
    throw new CliError(`"${stage}" is not a group of adjacent stages (in order: ${PIPELINE_ORDER.join(', ')})`, EXIT.usage);
  }
  const stages = positions.map((p) => PIPELINE_ORDER[p]!);
  const grouped = stages.slice(1).filter((s) => s === 'face-cropper' || s === 'detector-workers');
  return { stages, grouped };
}

const STARTERS: Record<Exclude<WorkerStage, 'all'>, (ctx: WorkerContext) => Promise<Started>> = {
  // Downstream first, so that nothing is produced before its consumer can take it.
  aggregator: startAggregator,
  'detector-workers': startDetectorWorkers,
  'face-cropper': startFaceCropper,
  'frame-extractor': startFrameExtractor,
  ingest: startIngest,
};

/** Runs the worker until SIGTERM or SIGINT; resolves with the exit status. */
export async function runWorker(stage: string, options: { detectors?: string }): Promise<number> {
  const plan = planWorker(stage);
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

  let broker: AmqpTransport;
  try {
    broker = await AmqpTransport.connect({
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
  const { stages } = plan;
  // In a group, hand-offs are direct calls and the frames stay in this process's memory.
  const localQueues = new Set(plan.grouped.flatMap((s) => (s === 'face-cropper' ? [QUEUES.faceCropper] : served.map(QUEUES.detector))));
  const transport = localQueues.size > 0 ? new GroupTransport(broker, localQueues) : broker;
  const frames = plan.grouped.includes('face-cropper') ? new MemoryStorage() : undefined;
  // The frame extractor's copy of each video, lent to the face cropper for temporal detectors' clips.
  const videoFiles = plan.grouped.includes('face-cropper') ? new LocalVideoFiles() : undefined;
  if (localQueues.size > 0) logger.info('Running a stage group.', { stages, handOffs: [...localQueues] });
  const ffmpegNeeded = stages.includes('frame-extractor');
  let gaveUp: InfrastructureError | undefined;
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
  const dependencies = new DependencyGate({
    probes: {
      storage: () => bucket.ping(),
      reports: () => bucket.ping(),
      ...(ffmpegNeeded ? { ffmpeg: () => checkFfmpeg(config) } : {}),
    },
    probeIntervalMs: DEPENDENCY_PROBE_INTERVAL_MS,
    giveUpAfterMs: config.dependencyGiveUpMs,
    onGiveUp: (error) => {
      gaveUp = error;
      stopRequested();
    },
    logger,
  });
  const started: Started[] = [];
  // Started before the models load, while this process is small (its own fork is the only one).
  const toolLauncher = ffmpegNeeded ? createToolLauncher(config.toolLauncher) : undefined;
  health.readiness = workerReadiness({ transport: broker, storage: bucket, dependencies }, healthState);
  const shutdown = async () => {
    healthState.phase = 'draining';
    logger.info('Shutting down: no new work; finishing or handing back what is in flight.', { graceMs: config.shutdownGraceMs });
    // 1. Stop consuming everywhere at once; in-flight handlers get the grace time, then are aborted and hand back.
    const consumers = started.flatMap((s) => s.consumers);
    await Promise.all(consumers.map((c) => c.close(config.shutdownGraceMs).catch((e: Error) => logger.warn('Stop failed.', { error: e.message }))));
    // 2. Only now the models they used, 3. then the connections.
    for (const resource of started.flatMap((s) => s.resources)) await resource.close().catch((e: Error) => logger.warn('Closing a model failed.', { error: e.message }));
    await toolLauncher?.close();
    dependencies.close();
    await transport.close();
    bucket.close();
    await queueInspector.close();
    await metricsServer?.close();
    logger.info('Stopped.');
  };

  try {
    await checkDependencies(bucket, ffmpegNeeded ? config : undefined, logger);
    for (const spec of distributedQueues([...new Set([...config.detectors, ...served])])) await transport.declareQueue(spec);
    const ctx: WorkerContext = { config, transport, broker, bucket, frames, videoFiles, logger, metrics, servedDetectors: served, dependencies, toolLauncher };
    // Downstream first, so that nothing is produced before its consumer can take it.
    for (const name of STARTER_ORDER.filter((n) => stages.includes(n))) started.push(await STARTERS[name](ctx));
    healthState.models = [
      ...(stages.includes('face-cropper') ? [config.faceDetector] : []),
      ...started.flatMap((s) => s.extraModels ?? []),
      ...(stages.includes('detector-workers') ? served : []),
    ];
    healthState.phase = 'running';
  } catch (error) {
    await shutdown();
    // A layout that cannot work (a usage error) is said as it is, with its own exit status.
    if (error instanceof CliError) throw new CliError(`cannot start the ${stage} worker: ${error.message}`, error.exitCode, { cause: error });
    throw new CliError(`cannot start the ${stage} worker: ${(error as Error).message}`, EXIT.infrastructure, { cause: error });
  }
  logger.info('Worker ready.', { namespace: config.namespace, bucket: config.s3Bucket, detectors: served, metricsPort: metricsServer?.port });

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info('Signal received.', { signal });
    stopRequested();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await stopping;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await shutdown();
  if (gaveUp) {
    throw new CliError(`stopped: ${gaveUp.dependency} stayed unusable for ${config.dependencyGiveUpMs} ms (${describeError(gaveUp)})`, EXIT.infrastructure);
  }
  return EXIT.ok;
}

/** The order stages start in: downstream first. */
const STARTER_ORDER: Array<Exclude<WorkerStage, 'all'>> = ['aggregator', 'detector-workers', 'face-cropper', 'frame-extractor', 'ingest'];

/**
 * What a worker needs before it takes any message: the bucket, and ffmpeg for a frame
 * extractor (the broker was reached already). A worker that cannot work must not consume
 * the videos' attempts: it exits with status 3 instead.
 */
async function checkDependencies(bucket: S3Storage, ffmpegConfig: DeepsiftConfig | undefined, logger: Logger): Promise<void> {
  try {
    await bucket.ping();
  } catch (error) {
    throw new Error(`the bucket is out of reach: ${describeError(error)}`, { cause: error });
  }
  if (ffmpegConfig) await checkFfmpeg(ffmpegConfig);
  logger.debug('Dependencies checked.');
}

/** Rejects unless ffmpeg and ffprobe run. */
async function checkFfmpeg(config: DeepsiftConfig): Promise<void> {
  for (const tool of [config.ffmpegPath, config.ffprobePath]) {
    try {
      await execFileAsync(tool, ['-version'], { timeout: 10_000 });
    } catch (error) {
      throw new InfrastructureError('ffmpeg', `${tool} does not run (${describeError(error)}); install ffmpeg or set DEEPSIFT_FFMPEG / DEEPSIFT_FFPROBE`, { cause: error });
    }
  }
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
