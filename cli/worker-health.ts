/**
 * What a worker reports about itself beside `/metrics`: the readiness checks behind
 * `/readyz` and the queues whose backlog it samples.
 */
import {
  deadLetterQueueName,
  HealthRegistry,
  QUEUES,
  type SampledQueue,
  type Storage,
  type DependencyGate,
} from '../common';
import { EXTERNAL_QUEUES } from './distributed-topology';

/** Where a worker is in its life: ready only while `running`. */
export type WorkerPhase = 'starting' | 'running' | 'draining';

/** What the readiness checks look at; the entry point updates `phase`. */
export interface WorkerHealthState {
  phase: WorkerPhase;
  /** The models the worker loaded (face detector, landmark net, deepfake and temporal detectors), once started. */
  models: string[];
}

/** What the checks ask: the broker connection and its consumers, the object store, the dependencies handlers found broken. */
export interface WorkerHealthDeps {
  transport: { readonly connected: boolean; readonly consumersActive?: boolean };
  storage: Pick<Storage, 'list'>;
  /** Dependencies a handler found unusable (ffmpeg, the bucket…): not ready until they are back. */
  dependencies?: Pick<DependencyGate, 'ready' | 'downDependencies'>;
}

/** A key prefix that holds nothing: listing it is one cheap round trip to the bucket. */
const STORAGE_PROBE_PREFIX = 'deepsift-readiness-probe/';

/**
 * The readiness checks of a worker: `broker` (channel open), `storage` (bucket answers a
 * listing), `models` (loaded), `consumers` (consuming, not starting or draining),
 * `dependencies` (none that a handler found broken is still down).
 */
export function workerReadiness(deps: WorkerHealthDeps, state: WorkerHealthState): HealthRegistry {
  return new HealthRegistry()
    .register('broker', () => (deps.transport.connected ? { ok: true } : { ok: false, reason: 'no connection to the broker; reconnecting' }))
    .register('storage', async () => {
      for await (const _ of deps.storage.list(STORAGE_PROBE_PREFIX)) break;
      return { ok: true };
    })
    .register('models', () =>
      state.phase === 'starting'
        ? { ok: false, reason: 'loading models' }
        : { ok: true, reason: state.models.length > 0 ? state.models.join(', ') : 'this stage loads no model' },
    )
    .register('consumers', () => {
      if (state.phase !== 'running') return { ok: false, reason: state.phase === 'starting' ? 'consumers not started yet' : 'shutting down: consumers cancelled' };
      // A consumer the broker cancelled restarts by itself; until then the worker is not ready.
      if (deps.transport.consumersActive === false) return { ok: false, reason: 'a consumer is restarting' };
      return { ok: true };
    })
    .register('dependencies', () => {
      if (!deps.dependencies || deps.dependencies.ready) return { ok: true };
      const down = deps.dependencies.downDependencies.map((d) => `${d.dependency} (${d.reason})`).join('; ');
      return { ok: false, reason: `taking no work: ${down || 'a dependency stayed unusable'}` };
    });
}

/**
 * Every stage queue of the deployment and its dead-letter queue, with the stage that
 * consumes it. Each worker samples all of them, so a stage whose workers are all gone
 * still shows, from the others, as a queue with no consumers.
 */
export function deploymentQueues(detectors: readonly string[]): SampledQueue[] {
  const byStage: Array<[string, string[]]> = [
    ['ingest', [EXTERNAL_QUEUES.crawlerJobs.name, EXTERNAL_QUEUES.bucketEvents.name]],
    ['frame-extractor', [QUEUES.frameExtractor]],
    ['face-cropper', [QUEUES.faceCropper]],
    ['detector-workers', detectors.map(QUEUES.detector)],
    ['aggregator', [QUEUES.aggregator, QUEUES.deadLetterReports]],
  ];
  return byStage.flatMap(([stage, queues]) =>
    queues.flatMap((queue) => [
      { queue, stage },
      { queue: deadLetterQueueName(queue), stage },
    ]),
  );
}
