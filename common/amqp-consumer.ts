/**
 * One `AmqpTransport.consume` call: a channel of its own with a bounded prefetch, manual
 * acknowledgements after the handler resolved, and the settle rules of `Transport`:
 * retries go to a delay queue, given-up messages to the dead-letter queue, each copy
 * confirmed by the broker before the original is acknowledged.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { copyOptions, deadLetterOf, deliveryCountOf, type CopyHeaders } from './amqp-headers';
import { TransportClosedError, type AmqpConnection, type ReconnectOptions } from './amqp-connection';
import type { ConfirmedPublisher } from './amqp-publisher';
import { declareRetryQueues, isDeadLetterQueue, retryTierFor, type AmqpNames } from './amqp-topology';
import { parseEnvelope } from './envelope';
import { describeError, InvalidMessageError, VideoRejectedError } from './errors';
import type { Logger } from './logger';
import { nextRetryDelayMs } from './retry-policy';
import type { ConsumeOptions, Delivery, ExternalDelivery } from './transport';

/** What a consumer hands its handler: an envelope, or the raw bytes of an external message. */
type AnyDelivery = Delivery | ExternalDelivery;

/** What every consumer of one transport shares. */
export interface ConsumerContext {
  connection: AmqpConnection;
  publisher: ConfirmedPublisher;
  names: AmqpNames;
  retryDelayTiersMs: readonly number[];
  deliveryLimit: number;
  reconnect: ReconnectOptions;
  /** How long a (re)start waits for the broker before giving up. */
  connectTimeoutMs: number;
  /** Queues that receive copies of dead letters (`QueueSpec.deadLettersOf`): their reasons are read too. */
  deadLetterReaders: ReadonlySet<string>;
  logger: Logger;
}

/** A channel and whether it is still open: delivery tags are only valid on their own channel. */
interface ChannelState {
  channel: Channel;
  open: boolean;
  consumerTag?: string;
}

/** Consumes one queue until stopped, re-establishing itself whenever its channel closes. */
export class AmqpConsumer<D extends AnyDelivery = Delivery> {
  private state: ChannelState | undefined;
  private active = true;
  private restartAttempts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly isDeadLetterQueue: boolean;
  private readonly log: Logger;

  constructor(
    private readonly context: ConsumerContext,
    private readonly queue: string,
    private readonly handler: (delivery: D) => Promise<void>,
    private readonly options: ConsumeOptions,
    /** Envelopes are parsed and validated; external queues pass the bytes on. */
    private readonly external = false,
  ) {
    this.isDeadLetterQueue = isDeadLetterQueue(queue);
    this.log = context.logger.child({ queue });
  }

  /** Starts consuming; rejects (and stays stopped) if the queue cannot be consumed now. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (error) {
      this.active = false;
      throw error;
    }
  }

  /**
   * Stops taking messages and waits for the handlers in flight, at most `graceMs` (no
   * limit when absent); then closes the channel, so unsettled messages go back to the queue.
   */
  async stop(graceMs?: number): Promise<void> {
    this.active = false;
    clearTimeout(this.restartTimer);
    const state = this.state;
    if (state?.open && state.consumerTag) {
      await state.channel.cancel(state.consumerTag).catch(() => undefined);
    }
    const settled = Promise.allSettled([...this.inFlight]);
    let graceTimer: NodeJS.Timeout | undefined;
    if (graceMs === undefined) await settled;
    else await Promise.race([settled, new Promise((resolve) => (graceTimer = setTimeout(resolve, graceMs)))]);
    clearTimeout(graceTimer);
    if (this.inFlight.size > 0) this.log.warn('Stopped with handlers still running; their messages will be redelivered.', { inFlight: this.inFlight.size });
    if (state?.open) await state.channel.close().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const { connection, names, retryDelayTiersMs } = this.context;
    const model = await connection.ready(this.context.connectTimeoutMs);
    const channel = await model.createChannel();
    const state: ChannelState = { channel, open: true };
    let consuming = false;
    channel.on('error', (error: unknown) => this.log.warn('Consumer channel error.', { error: describeError(error) }));
    channel.on('close', () => {
      state.open = false;
      if (consuming) this.onChannelClosed(state);
    });
    try {
      await channel.checkQueue(names.queue(this.queue)).catch((error: unknown) => {
        throw new Error(`queue "${this.queue}" is not declared`, { cause: error });
      });
      await declareRetryQueues(channel, names, this.queue, retryDelayTiersMs);
      await channel.prefetch(this.options.prefetch);
      const reply = await channel.consume(names.queue(this.queue), (message) => this.onMessage(state, message), { noAck: false });
      state.consumerTag = reply.consumerTag;
    } catch (error) {
      if (state.open) await channel.close().catch(() => undefined);
      throw error;
    }
    if (!state.open) throw new Error('consumer channel closed while starting');
    if (!this.active) {
      // Stopped while (re)starting: give the channel back at once.
      await channel.close().catch(() => undefined);
      return;
    }
    consuming = true;
    this.state = state;
  }

  private onChannelClosed(state: ChannelState): void {
    if (state !== this.state) return;
    this.state = undefined;
    if (!this.active) return;
    this.log.warn('Consumer channel closed; restarting.', { inFlight: this.inFlight.size });
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const { initialDelayMs, maxDelayMs } = this.context.reconnect;
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** this.restartAttempts);
    this.restartTimer = setTimeout(() => {
      if (!this.active) return;
      this.open().then(
        () => {
          this.restartAttempts = 0;
          this.log.info('Consumer restarted.');
        },
        (error: unknown) => {
          if (!this.active || error instanceof TransportClosedError) return;
          this.restartAttempts += 1;
          this.log.warn('Consumer restart failed; trying again.', { attempt: this.restartAttempts, error: describeError(error) });
          this.scheduleRestart();
        },
      );
    }, delayMs);
  }

  private onMessage(state: ChannelState, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (the queue was deleted): the channel stays open but idle.
      this.log.warn('The broker cancelled the consumer.');
      return;
    }
    if (!this.active) {
      // Arrived after basic.cancel: hand it back rather than start new work.
      this.settle(state, message, 'requeue');
      return;
    }
    const run = this.handle(state, message).catch((error: unknown) => {
      this.log.error('Message could not be settled; the broker will redeliver it.', { error: describeError(error) });
      this.settle(state, message, 'requeue');
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async handle(state: ChannelState, message: ConsumeMessage): Promise<void> {
    let delivery: D;
    try {
      delivery = this.deliveryOf(message);
    } catch (error) {
      await this.deadLetter(state, message, `INVALID_MESSAGE: ${describeError(error)}`);
      return;
    }
    try {
      await this.handler(delivery);
    } catch (error) {
      await this.settleFailure(state, message, delivery, error);
      return;
    }
    this.settle(state, message, 'ack');
  }

  private deliveryOf(message: ConsumeMessage): D {
    const { headers } = message.properties;
    const deliveryCount = deliveryCountOf(headers, this.queue);
    const delivery = (this.external
      ? { body: message.content, deliveryCount }
      : { envelope: parseEnvelope(message.content), deliveryCount }) as D;
    if (this.isDeadLetterQueue || this.context.deadLetterReaders.has(this.queue)) {
      const dead = deadLetterOf(headers, this.context.deliveryLimit, (q) => this.context.names.transportQueue(q));
      if (dead) {
        delivery.deadLetterReason = dead.reason;
        if (dead.queue !== undefined) delivery.deadLetterQueue = dead.queue;
      }
    }
    return delivery;
  }

  private async settleFailure(state: ChannelState, message: ConsumeMessage, delivery: D, error: unknown): Promise<void> {
    if (error instanceof InvalidMessageError || error instanceof VideoRejectedError) {
      await this.deadLetter(state, message, `${error.code}: ${error.message}`);
      return;
    }
    const delayMs = nextRetryDelayMs(this.options.retryPolicy, delivery.deliveryCount);
    if (delayMs === undefined) {
      await this.deadLetter(state, message, `RETRIES_EXHAUSTED: ${describeError(error)}`);
      return;
    }
    const tierMs = retryTierFor(this.context.retryDelayTiersMs, delayMs);
    const copy: CopyHeaders = { attempt: { queue: this.queue, count: delivery.deliveryCount + 1 } };
    // A dead letter that is retried keeps its reason, whether we or the broker wrote it.
    if (delivery.deadLetterReason !== undefined) {
      copy.deadLetter = { reason: delivery.deadLetterReason, queue: delivery.deadLetterQueue ?? '' };
    }
    if (!this.stillOwned(state)) return;
    await this.context.publisher.publish('', this.context.names.retryQueue(this.queue, tierMs), message.content, copyOptions(message.properties, copy));
    this.log.debug('Message will be retried.', { attempt: delivery.deliveryCount, delayMs: tierMs, error: describeError(error) });
    this.settle(state, message, 'ack');
  }

  /** Copies the message to the dead-letter queue with the reason (confirmed), then acks it. */
  private async deadLetter(state: ChannelState, message: ConsumeMessage, reason: string): Promise<void> {
    if (this.isDeadLetterQueue) {
      // A dead letter's dead letter has nowhere to go (as in MemoryTransport): log it loudly.
      this.log.error('Dead letter dropped: it failed again.', { messageId: message.properties.messageId, reason });
      this.settle(state, message, 'ack');
      return;
    }
    if (!this.stillOwned(state)) return;
    const options = copyOptions(message.properties, { deadLetter: { reason, queue: this.queue } });
    await this.context.publisher.publish(this.context.names.deadExchange, this.queue, message.content, options);
    this.log.warn('Message dead-lettered.', { messageId: message.properties.messageId, reason });
    this.settle(state, message, 'ack');
  }

  /** Whether the delivery can still be settled; if its channel died the broker redelivers it. */
  private stillOwned(state: ChannelState): boolean {
    if (!state.open) this.log.debug('Channel closed under a running handler; leaving the message to the broker.');
    return state.open;
  }

  /** Acks (or requeues) on the delivery's own channel, if it is still open. */
  private settle(state: ChannelState, message: ConsumeMessage, how: 'ack' | 'requeue'): void {
    if (!this.stillOwned(state)) return;
    try {
      if (how === 'ack') state.channel.ack(message);
      else state.channel.nack(message, false, true);
    } catch (error) {
      // The channel is closing (amqplib refuses to send): the broker redelivers the message.
      this.log.debug('Could not settle on a closing channel.', { how, error: describeError(error) });
    }
  }
}
