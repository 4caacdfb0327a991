import { createSilentLogger, InfrastructureError, MemoryStorage, DependencyGate } from '../common';
import { deploymentQueues, workerReadiness, type WorkerHealthState } from './worker-health';

describe('worker readiness', () => {
  it('is not ready while starting, ready while running, and not ready again while draining', async () => {
    const transport = { connected: true };
    const state: WorkerHealthState = { phase: 'starting', models: [] };
    const readiness = workerReadiness({ transport, storage: new MemoryStorage() }, state);

    let report = await readiness.run();
    expect(report.ok).toBe(false);
    expect(report.checks.models).toEqual({ ok: false, reason: 'loading models' });
    expect(report.checks.consumers).toEqual({ ok: false, reason: 'consumers not started yet' });

    Object.assign(state, { phase: 'running', models: ['ultraface-rfb-640'] });
    report = await readiness.run();
    expect(report).toEqual({
      ok: true,
      checks: { broker: { ok: true }, storage: { ok: true }, models: { ok: true, reason: 'ultraface-rfb-640' }, consumers: { ok: true }, dependencies: { ok: true } },
    });

    transport.connected = false;
    state.phase = 'draining';
    report = await readiness.run();
    expect(report.checks.broker).toEqual({ ok: false, reason: 'no connection to the broker; reconnecting' });
    expect(report.checks.consumers).toEqual({ ok: false, reason: 'shutting down: consumers cancelled' });
  });

  it('is not ready while a dependency a handler found broken is down, or a consumer restarts', async () => {
    const dependencies = new DependencyGate({ probes: {}, probeIntervalMs: 60_000, giveUpAfterMs: 60_000, onGiveUp: () => undefined, logger: createSilentLogger() });
    const transport = { connected: true, consumersActive: true };
    const readiness = workerReadiness({ transport, storage: new MemoryStorage(), dependencies }, { phase: 'running', models: [] });
    expect((await readiness.run()).ok).toBe(true);
    dependencies.reportDown(new InfrastructureError('ffmpeg', 'spawn ffmpeg ENOENT'));
    transport.consumersActive = false;
    const report = await readiness.run();
    expect(report.checks.dependencies).toEqual({ ok: false, reason: 'taking no work: ffmpeg (spawn ffmpeg ENOENT)' });
    expect(report.checks.consumers).toEqual({ ok: false, reason: 'a consumer is restarting' });
    dependencies.close();
  });

  it('reports the store\'s error when the bucket does not answer', async () => {
    const storage = {
      async *list(): AsyncIterable<never> {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
      },
    };
    const report = await workerReadiness({ transport: { connected: true }, storage }, { phase: 'running', models: [] }).run();
    expect(report.checks.storage).toEqual({ ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:9000' });
  });

  it('samples every stage queue and its dead letters, labelled with the consuming stage', () => {
    const queues = deploymentQueues(['meso4-df']);
    expect(queues).toContainEqual({ queue: 'detector.meso4-df', stage: 'detector-workers' });
    expect(queues).toContainEqual({ queue: 'detector.meso4-df.dead', stage: 'detector-workers' });
    expect(queues).toContainEqual({ queue: 'ingest.s3-events', stage: 'ingest' });
    expect(queues.map((q) => q.stage)).toEqual(expect.arrayContaining(['ingest', 'frame-extractor', 'face-cropper', 'detector-workers', 'aggregator']));
  });
});
