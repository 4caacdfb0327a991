/**
 * AmqpTransport against the RabbitMQ server on this machine (DEEPSIFT_TEST_AMQP_URL, default
 * amqp://guest:guest@127.0.0.1:5672). Every test has its own namespace, deleted afterwards.
 * AMQP_TEST_LOG=debug shows the transport's logs.
 */
import { execFileSync } from 'node:child_process';
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import { BrokerUnavailableError } from './amqp-connection';
import { AMQP_HEADERS } from './amqp-headers';
import { AmqpNames, brokerQueuesOf, sharedBrokerQueues, sharedExchanges } from './amqp-topology';
import { testNamespace } from '../../../test/test-namespaces';
import { AmqpTransport, type AmqpTransportOptions } from './amqp-transport';
import { createEnvelope } from '../../envelope';
import { InvalidMessageError, isRetryable } from '../../errors';
import { createLogger, createSilentLogger } from '../../logger';
import type { RetryPolicy } from '../../retry-policy';
import { UnroutableError, type Delivery, type QueueSpec } from '../transport';

const URL = process.env.DEEPSIFT_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const TIERS_MS = [50, 200];
const VIDEO = 'a'.repeat(64);
const fastRetry: RetryPolicy = { maxAttempts: 3, initialDelayMs: 50, backoffCoefficient: 2, maxDelayMs: 200, jitterRatio: 0 };

function job(n: number) {
  return createEnvelope('report.ready', VIDEO, `c${n}`, { reportKey: `reports/${n}.json`, status: 'done', label: 'REAL', score: n / 100 });
}

jest.setTimeout(10_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AmqpTransport', () => {
  let namespace: string;
  let names: AmqpNames;
  let raw: ChannelModel;
  let transports: AmqpTransport[];
  let specs: QueueSpec[];

  async function open(options: Partial<AmqpTransportOptions> = {}): Promise<AmqpTransport> {
    const transport = await AmqpTransport.connect({
      url: URL,
      namespace,
      logger: process.env.AMQP_TEST_LOG ? createLogger({ level: process.env.AMQP_TEST_LOG }) : createSilentLogger(),
      retryDelayTiersMs: TIERS_MS,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      publishTimeoutMs: 5_000,
      closeGraceMs: 5_000,
      ...options,
    });
    transports.push(transport);
    return transport;
  }

  async function declare(transport: AmqpTransport, spec: QueueSpec): Promise<void> {
    specs.push(spec);
    await transport.declareQueue(spec);
  }

  /** Resolves with the first `count` deliveries of a queue. */
  function collect(transport: AmqpTransport, queue: string, count: number): Promise<Delivery[]> {
    const got: Delivery[] = [];
    return new Promise((resolve, reject) => {
      transport.consume(queue, async (d) => {
        got.push(d);
        if (got.length === count) resolve(got);
      }, { prefetch: 10, retryPolicy: fastRetry }).catch(reject);
    });
  }

  /** Takes the messages waiting in a transport queue, straight from the broker. */
  async function drain(queue: string): Promise<GetMessage[]> {
    const channel = await raw.createChannel();
    const messages: GetMessage[] = [];
    for (let m = await channel.get(names.queue(queue), { noAck: true }); m; m = await channel.get(names.queue(queue), { noAck: true })) {
      messages.push(m);
    }
    await channel.close();
    return messages;
  }

  async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(20);
    }
  }

  beforeEach(async () => {
    namespace = testNamespace();
    names = new AmqpNames(namespace);
    raw = await connect(URL);
    transports = [];
    specs = [];
  });

  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close()));
    const channel = await raw.createChannel();
    for (const queue of [...specs.flatMap((spec) => brokerQueuesOf(names, spec)), ...sharedBrokerQueues(names, TIERS_MS)]) await channel.deleteQueue(queue);
    for (const exchange of sharedExchanges(names, TIERS_MS)) await channel.deleteExchange(exchange);
    await raw.close();
  });

  it('delivers a persistent, confirmed message to every queue bound to the routing key', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    await declare(transport, { name: 'q2', bindings: ['k'] });
    const a = collect(transport, 'q', 1);
    const envelope = job(1);
    await transport.publish('k', envelope);
    const [delivery] = await a;
    expect({ envelope: delivery!.envelope, deliveryCount: delivery!.deliveryCount }).toEqual({ envelope, deliveryCount: 1 });
    const [copy] = await drain('q2');
    expect(JSON.parse(copy!.content.toString())).toEqual(envelope);
    expect(copy!.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json', messageId: envelope.id });
    expect(copy!.properties.headers?.[AMQP_HEADERS.type]).toBe('report.ready');
  });

  it('rejects a publish that no queue would receive with UnroutableError', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    await expect(transport.publish('nobody', job(1))).rejects.toBeInstanceOf(UnroutableError);
    await transport.publish('k', job(2));
  });

  it('retries a failing message through the delay queues, then dead-letters it with the reason', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    const counts: number[] = [];
    await transport.consume('q', async (d) => {
      counts.push(d.deliveryCount);
      throw new Error('model crashed');
    }, { prefetch: 1, retryPolicy: fastRetry });
    const dead = collect(transport, 'q.dead', 1);
    await transport.publish('k', job(1));
    const [letter] = await dead;
    expect(counts).toEqual([1, 2, 3]);
    expect(letter).toMatchObject({ deadLetterReason: 'RETRIES_EXHAUSTED: model crashed (attempt 3 of 3)', deadLetterQueue: 'q', deliveryCount: 1 });
    expect(letter!.envelope.correlationId).toBe('c1');
  });

  it('dead-letters a non-retryable failure at once', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    let calls = 0;
    await transport.consume('q', async () => {
      calls++;
      throw new InvalidMessageError('missing field payload.source');
    }, { prefetch: 1, retryPolicy: fastRetry });
    const dead = collect(transport, 'q.dead', 1);
    await transport.publish('k', job(1));
    const [letter] = await dead;
    expect(letter!.deadLetterReason).toBe('INVALID_MESSAGE: missing field payload.source');
    expect(calls).toBe(1);
  });

  it('dead-letters bytes that are not an envelope and goes on consuming', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    const channel = await raw.createConfirmChannel();
    channel.sendToQueue(names.queue('q'), Buffer.from('{not json'), { messageId: 'garbage-1' });
    await channel.waitForConfirms();
    const got = collect(transport, 'q', 1);
    await transport.publish('k', job(2));
    expect((await got)[0]!.envelope.correlationId).toBe('c2');
    let dead: GetMessage[] = [];
    await eventually(async () => (dead = await drain('q.dead')).length > 0);
    expect(dead[0]!.content.toString()).toBe('{not json');
    expect(dead[0]!.properties.messageId).toBe('garbage-1');
    expect(dead[0]!.properties.headers?.[AMQP_HEADERS.reason]).toMatch(/^INVALID_MESSAGE: message is not valid JSON/);
    expect(dead[0]!.properties.headers?.[AMQP_HEADERS.queue]).toBe('q');
  });

  it('keeps at most prefetch messages in flight per consumer', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    for (let i = 0; i < 20; i++) await transport.publish('k', job(i));
    let inFlight = 0;
    let peak = 0;
    let done = 0;
    await new Promise<void>((resolve) => {
      void transport.consume('q', async () => {
        peak = Math.max(peak, ++inFlight);
        await sleep(10);
        inFlight--;
        if (++done === 20) resolve();
      }, { prefetch: 3, retryPolicy: fastRetry });
    });
    expect(peak).toBe(3);
  });

  it('makes publishers wait while a bounded queue is full (backpressure)', async () => {
    const transport = await open();
    await declare(transport, { name: 'small', bindings: ['s'], maxLength: 2 });
    // A quorum queue admits the message that reaches its limit and refuses the ones after.
    for (let i = 1; i <= 3; i++) await transport.publish('s', job(i));
    let fourthPublished = false;
    const fourth = transport.publish('s', job(4)).then(() => { fourthPublished = true; });
    await sleep(200);
    expect(fourthPublished).toBe(false);
    const got = collect(transport, 'small', 4);
    await fourth;
    expect((await got).map((d) => d.envelope.correlationId)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('rejects a publish with a retryable BrokerUnavailableError when the queue stays full', async () => {
    const transport = await open({ publishTimeoutMs: 300 });
    await declare(transport, { name: 'small', bindings: ['s'], maxLength: 1 });
    for (let i = 1; i <= 2; i++) await transport.publish('s', job(i));
    const error: unknown = await transport.publish('s', job(3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerUnavailableError);
    expect(isRetryable(error)).toBe(true);
  });

  it('refuses to consume a queue that was never declared', async () => {
    const transport = await open();
    await expect(transport.consume('nowhere', async () => undefined, { prefetch: 1, retryPolicy: fastRetry }))
      .rejects.toThrow('queue "nowhere" is not declared');
  });

  it('lets the broker dead-letter a message whose consumers keep dying (delivery limit)', async () => {
    const transport = await open({ deliveryLimit: 2 });
    await declare(transport, { name: 'q', bindings: ['k'] });
    await transport.publish('k', job(1));
    // A consumer that takes the message and dies before acknowledging, until the broker gives up.
    for (let taken = 0; ; taken++) {
      const channel = await raw.createChannel();
      const message = await channel.get(names.queue('q'), { noAck: false });
      await channel.close();
      if (!message) break;
      expect(taken).toBeLessThan(3);
    }
    const [letter] = await collect(transport, 'q.dead', 1);
    expect(letter!.deadLetterReason).toMatch(/^DELIVERY_LIMIT: delivered 3 times/);
    expect(letter!.deadLetterQueue).toBe('q');
    expect(letter!.deliveryCount).toBe(1);
  });

  it('survives the broker closing its connection: every message is handled, publishing works again', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    for (let i = 0; i < 50; i++) await transport.publish('k', job(i));
    const handled = new Set<string>();
    await transport.consume('q', async (d) => {
      await sleep(15);
      handled.add(d.envelope.correlationId);
    }, { prefetch: 5, retryPolicy: fastRetry });
    await eventually(() => handled.size >= 10);
    closeBrokerConnections(namespace);
    await transport.publish('k', job(50));
    await eventually(() => handled.size === 51, 8_000);
    expect(handled.size).toBe(51);
  });

  it('restarts a consumer the broker cancelled (its queue was deleted), declaring the queue again', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    const got: Delivery[] = [];
    const subscription = await transport.consume('q', async (d) => void got.push(d), { prefetch: 1, retryPolicy: fastRetry });
    const channel = await raw.createChannel();
    await channel.deleteQueue(names.queue('q'));
    await channel.close();
    // Idle no more: the consumer comes back by itself, and with it the queue and its binding
    // (until then a publish is refused as unroutable: nothing is lost silently).
    await eventually(async () => transport.publish('k', job(7)).then(() => true, () => false), 10_000);
    await eventually(() => got.length === 1, 10_000);
    expect(subscription.active && transport.consumersActive).toBe(true);
    expect(got[0]!.envelope.correlationId).toBe('c7');
  });

  it('close() waits for the handler in flight and is idempotent', async () => {
    const transport = await open();
    await declare(transport, { name: 'q', bindings: ['k'] });
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    await transport.consume('q', async () => {
      started();
      await sleep(300);
      finished = true;
    }, { prefetch: 1, retryPolicy: fastRetry });
    await transport.publish('k', job(1));
    await running;
    await Promise.all([transport.close(), transport.close()]);
    expect(finished).toBe(true);
    await transport.close();
    await expect(transport.publish('k', job(2))).rejects.toThrow('the transport is closed');
    expect(await drain('q')).toHaveLength(0); // acknowledged before the connection closed
  });
});

/** Has the broker close this namespace's connections, as `rabbitmqctl close_all_connections` would. */
function closeBrokerConnections(namespace: string): void {
  const listing = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
  const pids = listing.split('\n').filter((line) => line.includes(namespace)).map((line) => line.split('\t')[0]!);
  expect(pids).toHaveLength(1);
  for (const pid of pids) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'test']);
}
