/**
 * `Transport` on RabbitMQ 3.10+: the distributed mode's broker. Names and queue arguments
 * are in `amqp-topology.ts`, headers in `amqp-headers.ts`. In short:
 * - `publish` goes through the direct exchange `<ns>.pipeline`, persistent, with a
 *   publisher confirm and `mandatory`: a `basic.return` becomes `UnroutableError`;
 * - each queue is a quorum queue with a delivery limit, so a message whose consumer keeps
 *   dying is dead-lettered by the broker rather than redelivered forever;
 * - a retryable failure (or a hand-back) copies the message to a shared delay tier
 *   (`<ns>.retry.<ms>`) that expires back into its queue; a permanent one copies it to
 *   `<ns>.<queue>.dead` with the reason; the copy is confirmed before the original is
 *   acknowledged;
 * - after losing the connection it reconnects with backoff, declares the topology again
 *   and restarts every consumer; the broker redelivers what was not acknowledged.
 */
import type { ChannelModel } from 'amqplib';
import { AmqpConnection, DEFAULT_RECONNECT, TransportClosedError, type ReconnectOptions } from './amqp-connection';
import { AmqpConsumer } from './amqp-consumer';
import { publishOptions } from './amqp-headers';
import { ConfirmedPublisher } from './amqp-publisher';
import {
  AmqpNames,
  declareQueueTopology,
  declareSharedTopology,
  DEFAULT_RETRY_DELAY_TIERS_MS,
} from './amqp-topology';
import { DEFAULT_DELIVERY_LIMIT } from '../../config';
import { describeError } from '../../errors';
import type { Logger } from '../../logger';
import type { AnyEnvelope } from '../../messages';
import type { ConsumeOptions, Delivery, ExternalDelivery, MessageHandler, PublishOptions, QueueSpec, Subscription, BrokerTransport } from '../transport';

/** How long `publish` waits for a confirm (through outages and full queues) by default. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;
/** How long `close` waits for running handlers by default. */
export const DEFAULT_CLOSE_GRACE_MS = 30_000;

/** Options of `AmqpTransport.connect`. */
export interface AmqpTransportOptions {
  /** Broker URL, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** Prefix of every exchange and queue (`DEEPSIFT_NAMESPACE`): deployments sharing a broker stay apart. */
  namespace: string;
  logger: Logger;
  /** Delays (ms) of the retry queues; default `DEFAULT_RETRY_DELAY_TIERS_MS`. */
  retryDelayTiersMs?: number[];
  /** Deliveries without an acknowledgement before the broker dead-letters; default `DEFAULT_DELIVERY_LIMIT` (config). */
  deliveryLimit?: number;
  /** Backoff between reconnection attempts; default 100 ms doubling up to 5 s. */
  reconnect?: ReconnectOptions;
  /** How long `publish` (and a consumer start) waits for the broker; default 30 s. */
  publishTimeoutMs?: number;
  /** How long `close` waits for running handlers before closing; default 30 s. */
  closeGraceMs?: number;
}

type TransportState = 'running' | 'draining' | 'stopped';

/** `Transport` over AMQP 0-9-1 (RabbitMQ 3.10+ for quorum-queue TTL and at-least-once dead-lettering). */
export class AmqpTransport implements BrokerTransport {
  private state: TransportState = 'running';
  private closing: Promise<void> | undefined;
  private readonly specs = new Map<string, QueueSpec>();
  private readonly consumers = new Set<AmqpConsumer<Delivery> | AmqpConsumer<ExternalDelivery>>();
  private readonly publisher: ConfirmedPublisher;

  private constructor(
    private readonly connection: AmqpConnection,
    private readonly names: AmqpNames,
    private readonly settings: Required<Omit<AmqpTransportOptions, 'url' | 'namespace' | 'logger'>>,
    private readonly logger: Logger,
  ) {
    this.publisher = new ConfirmedPublisher(connection, settings.publishTimeoutMs, logger);
  }

  /** Connects (failing fast if the broker is unreachable) and declares the namespace's exchanges. */
  static async connect(options: AmqpTransportOptions): Promise<AmqpTransport> {
    const settings = {
      retryDelayTiersMs: options.retryDelayTiersMs ?? DEFAULT_RETRY_DELAY_TIERS_MS,
      deliveryLimit: options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
      reconnect: options.reconnect ?? DEFAULT_RECONNECT,
      publishTimeoutMs: options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
      closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
    };
    if (settings.retryDelayTiersMs.length === 0 || settings.retryDelayTiersMs.some((ms) => !Number.isInteger(ms) || ms <= 0)) {
      throw new Error('retryDelayTiersMs must hold positive integers');
    }
    if (!Number.isInteger(settings.deliveryLimit) || settings.deliveryLimit < 1) throw new Error('deliveryLimit must be a positive integer');
    const names = new AmqpNames(options.namespace);
    const logger = options.logger.child({ component: 'amqp-transport', namespace: options.namespace });
    // The topology is declared again on every reconnection: the broker may have lost it.
    let transport: AmqpTransport | undefined;
    const setup = (model: ChannelModel) =>
      declareTopology(model, names, transport ? [...transport.specs.values()] : [], settings.deliveryLimit, settings.retryDelayTiersMs);
    const connectionName = `deepsift ${options.namespace} pid ${process.pid}`;
    const connection = await AmqpConnection.open(options.url, connectionName, setup, settings.reconnect, logger);
    transport = new AmqpTransport(connection, names, settings, logger);
    logger.info('Connected to the broker.');
    return transport;
  }

  /** Whether the transport is open and holds a connection to the broker right now (for readiness checks). */
  get connected(): boolean {
    return this.state !== 'stopped' && this.connection.connected;
  }

  /** Declares the queue, its bindings, its dead-letter queue; again after every reconnection. */
  async declareQueue(spec: QueueSpec): Promise<void> {
    this.assertRunning();
    this.specs.set(spec.name, spec);
    const model = await this.connection.ready(this.settings.publishTimeoutMs);
    await declareTopology(model, this.names, [spec], this.settings.deliveryLimit, this.settings.retryDelayTiersMs);
  }

  /** Publishes persistently with a confirm; `UnroutableError` when no queue is bound to `routingKey`. */
  async publish(routingKey: string, envelope: AnyEnvelope, options: PublishOptions = {}): Promise<void> {
    // Handlers still running while the transport drains may publish their results.
    if (this.state === 'stopped') throw new TransportClosedError();
    const content = Buffer.from(JSON.stringify(envelope));
    await this.publisher.publish(this.names.pipelineExchange, routingKey, content, publishOptions(envelope), options.signal);
  }

  /** Whether every consumer is taking messages (false while one restarts, or after one was lost). */
  get consumersActive(): boolean {
    return this.state === 'running' && [...this.consumers].every((consumer) => consumer.consuming);
  }

  /** Consumes a queue (or its `.dead` queue) on a channel of its own with `options.prefetch`. */
  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    return this.startConsumer(new AmqpConsumer(this.consumerContext(), queue, handler, options), options);
  }

  private consumerContext() {
    return {
      connection: this.connection,
      publisher: this.publisher,
      names: this.names,
      retryDelayTiersMs: this.settings.retryDelayTiersMs,
      deliveryLimit: this.settings.deliveryLimit,
      reconnect: this.settings.reconnect,
      connectTimeoutMs: this.settings.publishTimeoutMs,
      deadLetterReaders: new Set([...this.specs.values()].filter((s) => s.deadLettersOf?.length).map((s) => s.name)),
      redeclare: (queue: string) => this.redeclare(queue),
      logger: this.logger,
    };
  }

  /** Declares a known queue again (its dead-letter queue's topology comes with its spec). */
  private async redeclare(queue: string): Promise<void> {
    const spec = this.specs.get(queue) ?? this.specs.get(queue.replace(/\.dead$/, ''));
    if (!spec) return;
    const model = await this.connection.ready(this.settings.publishTimeoutMs);
    await declareTopology(model, this.names, [spec], this.settings.deliveryLimit, this.settings.retryDelayTiersMs);
  }

  private async startConsumer(consumer: AmqpConsumer<Delivery> | AmqpConsumer<ExternalDelivery>, options: ConsumeOptions): Promise<Subscription> {
    this.assertRunning();
    if (!Number.isInteger(options.prefetch) || options.prefetch < 1) throw new Error('prefetch must be a positive integer');
    await consumer.start();
    this.consumers.add(consumer);
    return {
      cancel: async (graceMs?: number) => {
        this.consumers.delete(consumer);
        await consumer.stop(graceMs);
      },
      get active() {
        return consumer.consuming;
      },
    };
  }

  /**
   * Consumes a queue fed from outside (`QueueSpec.externalExchange`): the handler gets the
   * raw bytes; acknowledgement, retry and dead-lettering are as for `consume`.
   */
  async consumeExternal(queue: string, handler: (delivery: ExternalDelivery) => Promise<void>, options: ConsumeOptions): Promise<Subscription> {
    return this.startConsumer(new AmqpConsumer<ExternalDelivery>(this.consumerContext(), queue, handler, options, true), options);
  }

  /**
   * Announces on the results exchange (`<ns>.results`, topic) with a confirm. Nothing needs
   * to be bound: subscribers bind their own queues to the routing keys they want.
   */
  async announce(routingKey: string, body: object): Promise<void> {
    if (this.state === 'stopped') throw new TransportClosedError();
    await this.publisher.publish(this.names.resultsExchange, routingKey, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      mandatory: false,
    });
  }

  /**
   * Stops every consumer, waits up to `closeGraceMs` for running handlers, then closes the
   * connection; unacknowledged messages return to their queues. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = 'draining';
    const consumers = [...this.consumers];
    this.consumers.clear();
    await Promise.all(consumers.map((consumer) => consumer.stop(this.settings.closeGraceMs)));
    await this.connection.close();
    this.state = 'stopped';
    this.logger.info('Transport closed.');
  }

  private assertRunning(): void {
    if (this.state !== 'running') throw new TransportClosedError();
  }
}

/** Declares the shared exchanges and retry tiers and the given queues on a short-lived channel. */
async function declareTopology(
  model: ChannelModel,
  names: AmqpNames,
  specs: QueueSpec[],
  deliveryLimit: number,
  retryDelayTiersMs: readonly number[],
): Promise<void> {
  const channel = await model.createChannel();
  // A refused declaration (e.g. different arguments) closes the channel with an 'error' event.
  channel.on('error', () => undefined);
  try {
    await declareSharedTopology(channel, names, retryDelayTiersMs);
    for (const spec of specs) await declareQueueTopology(channel, names, spec, deliveryLimit);
  } catch (error) {
    throw new Error(`declaring the AMQP topology failed: ${describeError(error)}`, { cause: error });
  } finally {
    await channel.close().catch(() => undefined);
  }
}
