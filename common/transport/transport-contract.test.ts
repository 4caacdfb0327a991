/**
 * One contract, two transports: the settle rules of `Transport` (failure-policy.ts) hold
 * alike for `MemoryTransport` (embedded mode) and `AmqpTransport` on the RabbitMQ of this
 * machine (`DEEPSIFT_TEST_AMQP_URL`), each test in a namespace of its own.
 */
import { AmqpNames, brokerQueuesOf, sharedBrokerQueues, sharedExchanges } from './amqp/amqp-topology';
import { AmqpTransport } from './amqp/amqp-transport';
import { createEnvelope } from '../envelope';
import { InfrastructureError, ShutdownError, VideoRejectedError } from '../errors';
import { createSilentLogger } from '../logger';
import { MemoryTransport } from './memory-transport';
import type { RetryPolicy } from '../retry-policy';
import type { Delivery, QueueSpec, Transport } from './transport';
import { connect } from 'amqplib';
import { testNamespace } from '../../test/test-namespaces';

const URL = process.env.DEEPSIFT_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const TIERS_MS = [50, 200];
const policy: RetryPolicy = { maxAttempts: 3, initialDelayMs: 50, backoffCoefficient: 2, maxDelayMs: 200, jitterRatio: 0 };
const QUEUE: QueueSpec = { name: 'work', bindings: ['k'] };
const envelope = () => createEnvelope('report.ready', 'a'.repeat(64), 'c1', { reportKey: 'r.json', status: 'done', label: 'REAL', score: 0.1 });

jest.setTimeout(20_000);

interface Harness {
  transport: Transport;
  cleanup(): Promise<void>;
}

const transports: Array<[string, () => Promise<Harness>]> = [
  ['MemoryTransport', async () => {
    const transport = new MemoryTransport();
    return { transport, cleanup: () => transport.close() };
  }],
  ['AmqpTransport', async () => {
    const namespace = testNamespace();
    const transport = await AmqpTransport.connect({ url: URL, namespace, logger: createSilentLogger(), retryDelayTiersMs: TIERS_MS, publishTimeoutMs: 5_000 });
    return {
      transport,
      cleanup: async () => {
        await transport.close();
        const names = new AmqpNames(namespace);
        const connection = await connect(URL);
        const channel = await connection.createChannel();
        for (const queue of [...brokerQueuesOf(names, QUEUE), ...sharedBrokerQueues(names, TIERS_MS)]) await channel.deleteQueue(queue);
        for (const exchange of sharedExchanges(names, TIERS_MS)) await channel.deleteExchange(exchange);
        await connection.close();
      },
    };
  }],
];

describe.each(transports)('%s honours the transport contract', (_name, make) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await make();
    await harness.transport.declareQueue(QUEUE);
  });
  afterEach(async () => harness.cleanup());

  /** Consumes the work queue with `handler`; resolves the deliveries seen so far on demand. */
  async function consume(handler: (d: Delivery, seen: Delivery[]) => Promise<void>) {
    const seen: Delivery[] = [];
    const subscription = await harness.transport.consume(QUEUE.name, async (d) => {
      seen.push(d);
      await handler(d, seen);
    }, { prefetch: 4, retryPolicy: policy });
    return { seen, subscription };
  }

  async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The dead letters of the work queue, as an operator reads them. */
  async function deadLetters(count: number): Promise<Delivery[]> {
    const got: Delivery[] = [];
    await harness.transport.consume(`${QUEUE.name}.dead`, async (d) => void got.push(d), { prefetch: 10, retryPolicy: policy });
    await until(() => got.length >= count, `${count} dead letter(s)`);
    return got;
  }

  it('acknowledges a handled message once', async () => {
    const { seen } = await consume(async () => undefined);
    await harness.transport.publish('k', envelope());
    await until(() => seen.length === 1, 'the delivery');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.map((d) => d.deliveryCount)).toEqual([1]);
  });

  it('retries a transient failure with the attempt counted, then dead-letters it with the reason', async () => {
    const { seen } = await consume(async () => {
      throw new Error('model crashed');
    });
    await harness.transport.publish('k', envelope());
    const [letter] = await deadLetters(1);
    expect(seen.map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
    expect(letter!.deadLetterReason).toBe('RETRIES_EXHAUSTED: model crashed (attempt 3 of 3)');
  });

  it("dead-letters the video's own fault at once", async () => {
    const { seen } = await consume(async () => {
      throw new VideoRejectedError('CORRUPT_VIDEO', 'moov atom not found');
    });
    await harness.transport.publish('k', envelope());
    const [letter] = await deadLetters(1);
    expect(seen).toHaveLength(1);
    expect(letter!.deadLetterReason).toBe('CORRUPT_VIDEO: moov atom not found');
  });

  it('hands back what the worker caused without spending an attempt, however often', async () => {
    const { seen } = await consume(async (_d, all) => {
      if (all.length <= 4) throw new InfrastructureError('ffmpeg', 'spawn ffmpeg ENOENT');
    });
    await harness.transport.publish('k', envelope());
    await until(() => seen.length === 5, 'five deliveries');
    // Four hand-backs (more than the policy's three attempts), then success on attempt 1.
    expect(seen.map((d) => d.deliveryCount)).toEqual([1, 1, 1, 1, 1]);
  });

  it('on cancel after the grace time, aborts the handler and hands its message back unspent', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = await consume(async (d) => {
      started();
      await new Promise<void>((_, reject) => d.signal.addEventListener('abort', () => reject(d.signal.reason), { once: true }));
    });
    await harness.transport.publish('k', envelope());
    await running;
    await first.subscription.cancel(100);
    expect(first.seen[0]!.signal.aborted).toBe(true);
    expect(first.seen[0]!.signal.reason).toBeInstanceOf(ShutdownError);
    expect(first.subscription.active).toBe(false);
    const second = await consume(async () => undefined);
    await until(() => second.seen.length === 1, 'the message to come back');
    expect(second.seen[0]!.deliveryCount).toBe(1);
  });

  it('lets an aborted publish give up with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new ShutdownError());
    await expect(harness.transport.publish('k', envelope(), { signal: controller.signal })).rejects.toBeInstanceOf(ShutdownError);
  });
});
