import { createEnvelope } from './envelope';
import { createSilentLogger } from './logger';
import { MemoryTransport } from './transport/memory-transport';
import { PipelineMetrics } from './metrics';
import { DEFAULT_RETRY_POLICY } from './retry-policy';
import { consumeAsStage } from './stage-consumer';
import type { Delivery } from './transport/transport';

describe('consumeAsStage', () => {
  it('dead-letters a message type the stage does not take, with the reason, without calling the handler', async () => {
    const transport = new MemoryTransport();
    await transport.declareQueue({ name: 'face-cropper', bindings: ['video.frames', 'report.ready'] });
    const handled: string[] = [];
    const deps = { transport, logger: createSilentLogger(), metrics: new PipelineMetrics() };
    await consumeAsStage(deps, 'face-cropper', 'face-cropper', ['video.frames'], async (e) => { handled.push(e.type); }, {
      prefetch: 1,
      retryPolicy: DEFAULT_RETRY_POLICY,
    });
    const dead = new Promise<Delivery>((resolve) => {
      void transport.consume('face-cropper.dead', async (d) => resolve(d), { prefetch: 1, retryPolicy: DEFAULT_RETRY_POLICY });
    });
    await transport.publish('report.ready', createEnvelope('report.ready', 'a'.repeat(64), 'c', { reportKey: 'k', status: 'done', label: 'REAL', score: 0.1 }));
    expect((await dead).deadLetterReason).toBe('INVALID_MESSAGE: face-cropper does not take report.ready messages (queue face-cropper)');
    expect(handled).toEqual([]);
    const metric = (await deps.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'deepsift_messages_total');
    expect(metric?.values).toEqual([expect.objectContaining({ labels: { stage: 'face-cropper', outcome: 'dead_letter' }, value: 1 })]);
    await transport.close();
  });
});
