/**
 * One `AmqpTransport.consume` call: a channel of its own with a bounded prefetch, manual
 * acknowledgements after the handler resolved, and the settle rules of `Transport`
 * (`settleFailure`): retries and handed-back messages go to a shared delay tier that
 * expires back into the queue, given-up messages to the dead-letter queue, each copy
 * confirmed by the broker before the original is acknowledged.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { copyOptions, deadLetterOf, deliveryCountOf, type CopyHeaders } from './amqp-headers';
import { TransportClosedError, type AmqpConnection, type ReconnectOptions } from './amqp-connection';
import type { ConfirmedPublisher } from './amqp-publisher';
import { isDeadLetterQueue, retryTierFor, type AmqpNames } from './amqp-topology';
import { parseEnvelope, prepareEnvelopeValidation } from '../../envelope';
import { describeError } from '../../errors';
import { settleFailure } from '../../failure-policy';
import { InFlightHandlers } from '../../in-flight-handlers';
import type { Logger } from '../../logger';
import type { ConsumeOptions, Delivery, ExternalDelivery } from '../transport';

/** Messages whose failed settlements a consumer remembers. */
const UNSETTLED_MEMORY = 10_000;

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
  /** Declares a queue's topology again (the broker lost it, or someone deleted the queue). */
  redeclare(queue: string): Promise<void>;
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
  private readonly inFlight = new InFlightHandlers();
  /** Message id → settlements that failed, most recent last (bounded by `UNSETTLED_MEMORY`). */
  private readonly unsettled = new Map<string, number>();
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
    if (!this.external) prepareEnvelopeValidation();
    try {
      await this.open();
    } catch (error) {
      this.active = false;
      throw error;
    }
  }

  /** Whether messages are being taken: started, not stopped, and the channel is up. */
  get consuming(): boolean {
    return this.active && this.state?.open === true;
  }

  /**
   * Stops taking messages and waits for the handlers in flight, at most `graceMs` (no
   * limit when absent); then aborts those left, which hand their messages back without
   * spending an attempt, and closes the channel (whatever is still unsettled returns to
   * the queue).
   */
  async stop(graceMs?: number): Promise<void> {
    this.active = false;
    clearTimeout(this.restartTimer);
    const state = this.state;
    if (state?.open && state.consumerTag) {
      await state.channel.cancel(state.consumerTag).catch(() => undefined);
    }
    const left = await this.inFlight.drain(graceMs);
    if (left > 0) this.log.warn('Stopped with handlers still running; the broker will redeliver their messages.', { inFlight: left });
    if (state?.open) await state.channel.close().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const { connection, names } = this.context;
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

  private scheduleRestart(before?: () => Promise<void>): void {
    const { initialDelayMs, maxDelayMs } = this.context.reconnect;
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** this.restartAttempts);
    this.restartTimer = setTimeout(() => {
      if (!this.active) return;
      (before ?? (async () => undefined))().then(() => this.open()).then(
        () => {
          this.restartAttempts = 0;
          this.log.info('Consumer restarted.');
        },
        (error: unknown) => {
          if (!this.active || error instanceof TransportClosedError) return;
          this.restartAttempts += 1;
          this.log.warn('Consumer restart failed; trying again.', { attempt: this.restartAttempts, error: describeError(error) });
          this.scheduleRestart(before);
        },
      );
    }, delayMs);
  }

  private onMessage(state: ChannelState, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (the queue was deleted or its leader moved): an idle channel
      // would look healthy for ever, so declare the queue again and start over.
      this.log.warn('The broker cancelled the consumer; declaring the queue again and restarting.');
      if (state === this.state) this.state = undefined;
      void state.channel.close().catch(() => undefined);
      if (this.active) this.scheduleRestart(() => this.context.redeclare(this.queue));
      return;
    }
    if (!this.active) {
      // Arrived after basic.cancel: hand it back rather than start new work.
      this.settle(state, message, 'requeue');
      return;
    }
    void this.inFlight.track((signal) =>
      this.handle(state, message, signal).catch((error: unknown) => {
        // The copy could not be confirmed (broker trouble). Whether the broker counts a
        // requeue towards the delivery limit depends on its version, so count here too: a
        // message that can never be settled is rejected (the broker dead-letters it) at the limit.
        const failures = this.countUnsettled(message);
        const giveUp = failures >= this.context.deliveryLimit;
        this.log.error(giveUp ? 'Message could not be settled too often; rejecting it to its dead-letter queue.' : 'Message could not be settled; the broker will redeliver it.', { failures, error: describeError(error) });
        this.settle(state, message, giveUp ? 'reject' : 'requeue');
      }),
    );
  }

  /** Failed settlements of the same message (by message id) seen by this consumer, this one included. */
  private countUnsettled(message: ConsumeMessage): number {
    const id = String(message.properties.messageId ?? message.fields.deliveryTag);
    const count = (this.unsettled.get(id) ?? 0) + 1;
    this.unsettled.delete(id);
    this.unsettled.set(id, count);
    if (this.unsettled.size > UNSETTLED_MEMORY) this.unsettled.delete(this.unsettled.keys().next().value!);
    return count;
  }

  private async handle(state: ChannelState, message: ConsumeMessage, signal: AbortSignal): Promise<void> {
    let delivery: D;
    try {
      delivery = this.deliveryOf(message, signal);
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

  private deliveryOf(message: ConsumeMessage, signal: AbortSignal): D {
    const { headers } = message.properties;
    const deliveryCount = deliveryCountOf(headers, this.queue);
    const delivery = (this.external
      ? { body: message.content, deliveryCount, signal }
      : { envelope: parseEnvelope(message.content), deliveryCount, signal }) as D;
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
    const settlement = settleFailure(error, delivery.deliveryCount, this.options.retryPolicy);
    if (settlement.action === 'dead-letter') {
      await this.deadLetter(state, message, settlement.reason);
      return;
    }
    // A retry counts the next attempt; a handed-back message keeps the attempt it had.
    const attempt = settlement.action === 'retry' ? settlement.attempt : delivery.deliveryCount;
    const tierMs = retryTierFor(this.context.retryDelayTiersMs, settlement.delayMs);
    const copy: CopyHeaders = { attempt: { queue: this.queue, count: attempt } };
    // A dead letter that is retried keeps its reason, whether we or the broker wrote it.
    if (delivery.deadLetterReason !== undefined) {
      copy.deadLetter = { reason: delivery.deadLetterReason, queue: delivery.deadLetterQueue ?? '' };
    }
    if (!this.stillOwned(state)) return;
    const tier = this.context.names.retryTier(tierMs);
    await this.context.publisher.publish(tier, this.queue, message.content, copyOptions(message.properties, copy));
    this.log.debug(settlement.action === 'retry' ? 'Message will be retried.' : 'Message handed back.', { attempt, delayMs: tierMs, error: describeError(error) });
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

  /** Acks, requeues or rejects (to the dead-letter queue) on the delivery's own channel, if it is still open. */
  private settle(state: ChannelState, message: ConsumeMessage, how: 'ack' | 'requeue' | 'reject'): void {
    if (!this.stillOwned(state)) return;
    try {
      if (how === 'ack') state.channel.ack(message);
      else state.channel.nack(message, false, how === 'requeue');
    } catch (error) {
      // The channel is closing (amqplib refuses to send): the broker redelivers the message.
      this.log.debug('Could not settle on a closing channel.', { how, error: describeError(error) });
    }
  }
}
