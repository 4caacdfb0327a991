/**
 * The message headers `AmqpTransport` writes and reads, and how a delivery's count and
 * dead-letter reason are worked out from them. Pure functions: tested without a broker.
 */
import type { MessageProperties, MessagePropertyHeaders, Options } from 'amqplib';
import type { AnyEnvelope } from '../../messages';

/** Header names. Our own start with `x-deepsift-`; `x-delivery-count` and `x-death` are RabbitMQ's. */
export const AMQP_HEADERS = {
  /** The envelope's type, so tools can filter without parsing bodies. */
  type: 'x-deepsift-type',
  /** Which delivery of the message this copy is, counted in the queue named by `attemptQueue`. */
  attempt: 'x-deepsift-attempt',
  /** The transport queue whose retry made this copy. */
  attemptQueue: 'x-deepsift-attempt-queue',
  /** On dead letters: why the message was given up (`CODE: message`). */
  reason: 'x-deepsift-reason',
  /** On dead letters: the transport queue that gave the message up. */
  queue: 'x-deepsift-queue',
  /** Unique per publish: matches a broker's `basic.return` to the publish it refuses. */
  publishId: 'x-deepsift-publish-id',
  /** Set by quorum queues: deliveries of this copy that ended without an acknowledgement. */
  brokerDeliveryCount: 'x-delivery-count',
  /** Set by the broker when it dead-letters: one entry per (queue, reason), newest first. */
  death: 'x-death',
} as const;

/** What a failed message gets when it is copied to a retry or dead-letter queue. */
export interface CopyHeaders {
  attempt?: { queue: string; count: number };
  deadLetter?: { reason: string; queue: string };
}

/** Properties of every envelope we publish: persistent JSON, message id = envelope id. */
export function publishOptions(envelope: AnyEnvelope): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: envelope.id,
    correlationId: envelope.correlationId,
    type: envelope.type,
    timestamp: Math.floor(Date.now() / 1000),
    headers: { [AMQP_HEADERS.type]: envelope.type },
  };
}

/** Headers the broker or a previous copy wrote: a new copy starts without them. */
const NOT_COPIED = new Set<string>([
  AMQP_HEADERS.attempt,
  AMQP_HEADERS.attemptQueue,
  AMQP_HEADERS.publishId,
  AMQP_HEADERS.brokerDeliveryCount,
  AMQP_HEADERS.death,
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
]);

/**
 * Properties of a copy of a received message (a retry or a dead letter): the original's
 * properties, persistent, with fresh attempt and dead-letter headers. Works for bytes
 * that are not an envelope too, so invalid messages keep what their producer set.
 */
export function copyOptions(original: MessageProperties, copy: CopyHeaders): Options.Publish {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(original.headers ?? {})) {
    if (!NOT_COPIED.has(name)) headers[name] = value;
  }
  if (copy.attempt) {
    headers[AMQP_HEADERS.attempt] = copy.attempt.count;
    headers[AMQP_HEADERS.attemptQueue] = copy.attempt.queue;
  }
  if (copy.deadLetter) {
    headers[AMQP_HEADERS.reason] = copy.deadLetter.reason;
    headers[AMQP_HEADERS.queue] = copy.deadLetter.queue;
  }
  const options: Options.Publish = { persistent: true, headers };
  if (original.contentType !== undefined) options.contentType = String(original.contentType);
  if (original.messageId !== undefined) options.messageId = String(original.messageId);
  if (original.correlationId !== undefined) options.correlationId = String(original.correlationId);
  if (original.type !== undefined) options.type = String(original.type);
  if (original.timestamp !== undefined) options.timestamp = Number(original.timestamp);
  return options;
}

/**
 * Which delivery this is, 1 on the first: our attempt header (copies made by retries of
 * this queue) plus the broker's redeliveries of this copy (a consumer died or nacked).
 * An attempt header written for another queue (a message the broker dead-lettered from
 * its origin queue) does not count here.
 */
export function deliveryCountOf(headers: MessagePropertyHeaders | undefined, queue: string): number {
  const attempt = headers?.[AMQP_HEADERS.attemptQueue] === queue ? positiveInteger(headers[AMQP_HEADERS.attempt]) : undefined;
  const redeliveries = nonNegativeInteger(headers?.[AMQP_HEADERS.brokerDeliveryCount]) ?? 0;
  return (attempt ?? 1) + redeliveries;
}

/**
 * Why and where a message in a dead-letter queue was given up: from our headers when we
 * dead-lettered it, or from `x-death` when the broker did on its delivery limit.
 * `deliveryLimit` only words the reason. `toTransportQueue` strips the namespace.
 */
export function deadLetterOf(
  headers: MessagePropertyHeaders | undefined,
  deliveryLimit: number,
  toTransportQueue: (brokerQueue: string) => string,
): { reason: string; queue?: string } | undefined {
  const reason = headers?.[AMQP_HEADERS.reason];
  if (typeof reason === 'string') {
    const queue = headers?.[AMQP_HEADERS.queue];
    return { reason, queue: typeof queue === 'string' ? queue : undefined };
  }
  const deaths: unknown = headers?.[AMQP_HEADERS.death];
  if (!Array.isArray(deaths)) return undefined;
  // RabbitMQ 3.10 writes `delivery_limit` (not listed in @types/amqplib's XDeath).
  const death = deaths.find((d: { reason?: unknown }) => d?.reason === 'delivery_limit' || d?.reason === 'rejected') as { queue?: unknown; reason: string } | undefined;
  if (!death) return undefined;
  return {
    reason: death.reason === 'rejected'
      ? `UNSETTLED: could not be acknowledged or copied ${deliveryLimit} times (broker trouble)`
      : `DELIVERY_LIMIT: delivered ${deliveryLimit + 1} times without an acknowledgement`,
    queue: typeof death.queue === 'string' ? toTransportQueue(death.queue) : undefined,
  };
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}
