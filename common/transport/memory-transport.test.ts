import { createEnvelope } from '../envelope';
import { InvalidMessageError, VideoRejectedError } from '../errors';
import { MemoryTransport } from './memory-transport';
import type { Delivery } from './transport';
import type { RetryPolicy } from '../retry-policy';

const VIDEO = 'a'.repeat(64);
const fastRetry: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1, backoffCoefficient: 1, maxDelayMs: 1, jitterRatio: 0 };

function job(n: number) {
  return createEnvelope('report.ready', VIDEO, `c${n}`, { reportKey: `reports/${n}.json`, status: 'done', label: 'REAL', score: n / 100 });
}

async function collect(transport: MemoryTransport, queue: string, count: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  return new Promise((resolve) => {
    void transport.consume(queue, async (d) => {
      got.push(d);
      if (got.length === count) resolve(got);
    }, { prefetch: 10, retryPolicy: fastRetry });
  });
}

describe('MemoryTransport', () => {
  let transport: MemoryTransport;
  beforeEach(async () => {
    transport = new MemoryTransport();
    await transport.declareQueue({ name: 'q', bindings: ['k'] });
  });
  afterEach(() => transport.close());

  it('delivers to every queue bound to the routing key', async () => {
    await transport.declareQueue({ name: 'q2', bindings: ['k'] });
    const a = collect(transport, 'q', 1);
    const b = collect(transport, 'q2', 1);
    await transport.publish('k', job(1));
    expect((await a)[0]!.envelope.correlationId).toBe('c1');
    expect((await b)[0]!.envelope.correlationId).toBe('c1');
  });

  it('refuses to publish what no queue would receive', async () => {
    await expect(transport.publish('nobody', job(1))).rejects.toThrow('no queue is bound');
  });

  it('retries a failing message with a higher delivery count, then dead-letters it with the reason', async () => {
    const counts: number[] = [];
    await transport.consume('q', async (d) => {
      counts.push(d.deliveryCount);
      throw new Error('model crashed');
    }, { prefetch: 1, retryPolicy: fastRetry });
    const dead = collect(transport, 'q.dead', 1);
    await transport.publish('k', job(1));
    const [letter] = await dead;
    expect(counts).toEqual([1, 2, 3]);
    expect(letter!.deadLetterReason).toBe('RETRIES_EXHAUSTED: model crashed (attempt 3 of 3)');
    expect(letter!.deadLetterQueue).toBe('q');
  });

  it('dead-letters invalid messages and rejected videos at once, without retry', async () => {
    let calls = 0;
    await transport.consume('q', async (d) => {
      calls++;
      if (d.envelope.correlationId === 'c1') throw new InvalidMessageError('missing field payload.source');
      throw new VideoRejectedError('NOT_A_VIDEO', 'not a video');
    }, { prefetch: 1, retryPolicy: fastRetry });
    const dead = collect(transport, 'q.dead', 2);
    await transport.publish('k', job(1));
    await transport.publish('k', job(2));
    const reasons = (await dead).map((d) => d.deadLetterReason);
    expect(reasons).toEqual(['INVALID_MESSAGE: missing field payload.source', 'NOT_A_VIDEO: not a video']);
    expect(calls).toBe(2);
  });

  it('keeps at most prefetch messages in flight per consumer', async () => {
    let inFlight = 0;
    let peak = 0;
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      void transport.consume('q', async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        if (++done === 20) resolve();
      }, { prefetch: 3, retryPolicy: fastRetry });
    });
    for (let i = 0; i < 20; i++) await transport.publish('k', job(i));
    await finished;
    expect(peak).toBe(3);
  });

  it('makes publishers wait while a bounded queue is full (backpressure)', async () => {
    await transport.declareQueue({ name: 'small', bindings: ['s'], maxLength: 2 });
    await transport.publish('s', job(1));
    await transport.publish('s', job(2));
    let thirdPublished = false;
    const third = transport.publish('s', job(3)).then(() => { thirdPublished = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(thirdPublished).toBe(false);
    expect(transport.depth('small')).toBe(2);
    const got = collect(transport, 'small', 3);
    await third;
    expect((await got).map((d) => d.envelope.correlationId)).toEqual(['c1', 'c2', 'c3']);
  });
});
