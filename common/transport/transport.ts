/**
 * The transport contract between stages. `MemoryTransport` implements it in one
 * process (embedded mode); a broker-backed implementation (`AmqpTransport`, a
 * `BrokerTransport`: it also has queues fed from outside and announcements) runs the same
 * stages apart.
 *
 * What a handler's outcome means (decided by `settleFailure` in `failure-policy.ts`):
 * - it resolves: the message is acknowledged (done, never seen again);
 * - it throws `InvalidMessageError` or `VideoRejectedError`: the message is dead-lettered
 *   at once with the error as its reason (retrying cannot help);
 * - it throws `InfrastructureError` or `ShutdownError`: the message is handed back
 *   unchanged, without spending an attempt (the worker, not the video, was at fault);
 * - it throws anything else: the message is delivered again after the retry policy's
 *   delay, and dead-lettered with reason `RETRIES_EXHAUSTED` after its last attempt.
 */
import type { AnyEnvelope } from '../messages';
import type { RetryPolicy } from '../retry-policy';

/** A queue and the routing keys it receives. Each queue has a dead-letter queue `<name>.dead`. */
export interface QueueSpec {
  name: string;
  /** Routing keys whose messages this queue receives (a message goes to every bound queue). */
  bindings: string[];
  /**
   * Set for a queue fed from outside the pipeline (crawlers, S3 notifications): it is bound
   * to the fanout exchange of that name (`<namespace>.<exchange>` on a broker) instead of
   * to routing keys, and its messages are raw bytes, not envelopes (`consumeExternal`).
   */
  externalExchange?: string;
  /**
   * The queue also receives a copy of every message dead-lettered from these queues (their
   * dead-letter queues keep theirs for inspection), with `deadLetterReason` set: this is how
   * a message given up by a stage still ends in a failed report.
   */
  deadLettersOf?: string[];
  /**
   * Messages the queue holds before `publish` waits for room: backpressure towards
   * producers, so fast stages cannot pile up frames in memory. Unbounded when absent.
   */
  maxLength?: number;
}

/** How a consumer takes messages. */
export interface ConsumeOptions {
  /** Messages handed to the handler and not yet settled, at most. */
  prefetch: number;
  retryPolicy: RetryPolicy;
}

/** One delivery of a message to a handler. */
export interface Delivery {
  envelope: AnyEnvelope;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** Present on dead-lettered messages: why the message was given up. */
  deadLetterReason?: string;
  /** Present on dead-lettered messages: the queue that gave it up. */
  deadLetterQueue?: string;
  /**
   * Aborted (with a `ShutdownError`) when the consumer is cancelled and its grace time is
   * over: the handler should stop, and its message is handed back.
   */
  signal: AbortSignal;
}

export type MessageHandler = (delivery: Delivery) => Promise<void>;

/** One delivery of a message that came from outside the pipeline: its bytes as sent. */
export interface ExternalDelivery extends Omit<Delivery, 'envelope'> {
  body: Buffer;
}

/** A running consumer. */
export interface Subscription {
  /**
   * Stops taking messages and waits for the handler calls in flight to settle; after
   * `graceMs` (no limit when absent) their signals are aborted and their messages handed
   * back without spending an attempt.
   */
  cancel(graceMs?: number): Promise<void>;
  /** Whether the consumer is taking messages (false once cancelled, or while the broker has it stopped). */
  readonly active: boolean;
}

/** Options of one publish. */
export interface PublishOptions {
  /** Gives up waiting (for room, a confirm, the broker) when aborted, rejecting with its reason. */
  signal?: AbortSignal;
}

/** Moves envelopes between stages with ack / retry / dead-letter semantics. */
export interface Transport {
  declareQueue(spec: QueueSpec): Promise<void>;
  /**
   * Routes an envelope to every queue bound to `routingKey`. Resolves once every such
   * queue holds it (and may first wait for room). Rejects with `UnroutableError` when no
   * queue is bound, so nothing vanishes.
   */
  publish(routingKey: string, envelope: AnyEnvelope, options?: PublishOptions): Promise<void>;
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription>;
  /** Cancels every consumer and releases resources. Idempotent. */
  close(): Promise<void>;
}

/**
 * What a broker offers the distributed workers beyond the pipeline's own queues: queues that
 * producers outside deepsift feed (crawler jobs, bucket notifications) and announcements for
 * subscribers outside it (`report.ready`). `AmqpTransport` is one; the in-memory transport has
 * no outside to talk to.
 */
export interface BrokerTransport extends Transport {
  /** Consumes a queue fed from outside: the handler gets the raw bytes; acks, retries and dead-letters as `consume`. */
  consumeExternal(queue: string, handler: (delivery: ExternalDelivery) => Promise<void>, options: ConsumeOptions): Promise<Subscription>;
  /** Announces `body` (JSON) under `routingKey` to whoever subscribed outside the pipeline; resolves once the broker has it. */
  announce(routingKey: string, body: object): Promise<void>;
}

/** Thrown by `publish` when no queue is bound to the routing key. */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
  constructor(readonly routingKey: string) {
    super(`no queue is bound to routing key "${routingKey}"`);
  }
}

/** The dead-letter queue's name for a queue. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dead`;
}
