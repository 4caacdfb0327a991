/**
 * The RabbitMQ objects behind `AmqpTransport`, all named under one namespace so that
 * two deployments (or two tests) can share a broker without crossing:
 *
 *   <ns>.pipeline               direct exchange; `publish(routingKey)` goes here
 *   <ns>.<queue>                quorum queue bound to the spec's routing keys; the broker
 *                               dead-letters a message it delivered too often to <ns>.dead
 *   <ns>.dead                   direct exchange; routing key = the origin queue's name
 *   <ns>.<queue>.dead           quorum queue holding the dead letters of <queue>
 *   <ns>.retry.<queue>.<ms>     quorum queue with a message TTL of <ms>: a failed message
 *                               waits there, then the broker moves it back to <ns>.<queue>
 *   <ns>.<external>             fanout exchange feeding a queue from outside (crawler jobs,
 *                               S3 notifications); its messages are raw bytes
 *   <ns>.results                topic exchange announcing reports (see `announce`)
 *
 * Every queue is a quorum queue with at-least-once dead-lettering, which RabbitMQ 3.10
 * supports only together with `x-overflow: reject-publish`: a message that expires or
 * exceeds the delivery limit stays in its queue until the target queue has confirmed it.
 */
import type { Channel } from 'amqplib';
import { deadLetterQueueName, type QueueSpec } from './transport';

/**
 * Delays (ms) of the retry queues. A retry waits in the shortest tier at least as long as
 * the retry policy's delay (or the longest tier), so jitter is rounded up to a tier.
 */
export const DEFAULT_RETRY_DELAY_TIERS_MS = [500, 2_000, 10_000, 60_000];

/** The broker-side names of a namespace's exchanges and queues. */
export class AmqpNames {
  constructor(readonly namespace: string) {
    if (!/^[\w.-]+$/.test(namespace)) throw new Error(`invalid AMQP namespace "${namespace}"`);
  }

  /** The exchange that `publish` routes through. */
  get pipelineExchange(): string {
    return `${this.namespace}.pipeline`;
  }

  /** The exchange that dead letters go through, keyed by their origin queue's name. */
  get deadExchange(): string {
    return `${this.namespace}.dead`;
  }

  /** A fanout exchange through which outside publishers (crawlers, MinIO) reach a queue. */
  externalExchange(name: string): string {
    return `${this.namespace}.${name}`;
  }

  /** The topic exchange on which finished reports are announced. */
  get resultsExchange(): string {
    return `${this.namespace}.results`;
  }

  /** The broker queue of a transport queue (`q` or `q.dead`). */
  queue(name: string): string {
    return `${this.namespace}.${name}`;
  }

  /** The retry queue of a transport queue for one delay tier. */
  retryQueue(name: string, delayMs: number): string {
    return `${this.namespace}.retry.${name}.${delayMs}`;
  }

  /** The transport queue name of a broker queue, or the name unchanged if it is not ours. */
  transportQueue(brokerQueue: string): string {
    const prefix = `${this.namespace}.`;
    return brokerQueue.startsWith(prefix) ? brokerQueue.slice(prefix.length) : brokerQueue;
  }
}

/** Whether a transport queue name is a dead-letter queue (`<queue>.dead`). */
export function isDeadLetterQueue(name: string): boolean {
  return name.endsWith('.dead');
}

/** The retry tier for a wanted delay: the shortest tier at least that long, else the longest. */
export function retryTierFor(tiersMs: readonly number[], delayMs: number): number {
  const sorted = [...tiersMs].sort((a, b) => a - b);
  return sorted.find((tier) => tier >= delayMs) ?? sorted[sorted.length - 1]!;
}

/** Arguments every quorum queue gets: at-least-once dead-lettering needs reject-publish. */
function quorumArguments(deadLetter?: { exchange: string; routingKey: string }): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish' };
  if (deadLetter) {
    args['x-dead-letter-exchange'] = deadLetter.exchange;
    args['x-dead-letter-routing-key'] = deadLetter.routingKey;
    args['x-dead-letter-strategy'] = 'at-least-once';
  }
  return args;
}

/** Declares the namespace's exchanges: pipeline, dead letters, results. Idempotent. */
export async function declareExchanges(channel: Channel, names: AmqpNames): Promise<void> {
  await channel.assertExchange(names.pipelineExchange, 'direct', { durable: true });
  await channel.assertExchange(names.deadExchange, 'direct', { durable: true });
  await channel.assertExchange(names.resultsExchange, 'topic', { durable: true });
}

/** Declares a queue, its bindings and its dead-letter queue. Idempotent. */
export async function declareQueueTopology(
  channel: Channel,
  names: AmqpNames,
  spec: QueueSpec,
  deliveryLimit: number,
): Promise<void> {
  const dead = deadLetterQueueName(spec.name);
  if (spec.externalExchange !== undefined) {
    await channel.assertExchange(names.externalExchange(spec.externalExchange), 'fanout', { durable: true });
  }
  await channel.assertQueue(names.queue(dead), { durable: true, arguments: quorumArguments() });
  await channel.bindQueue(names.queue(dead), names.deadExchange, spec.name);
  const args = quorumArguments({ exchange: names.deadExchange, routingKey: spec.name });
  args['x-delivery-limit'] = deliveryLimit;
  // Quorum queues accept the publish that reaches the limit and nack those after it
  // (reject-publish), which `ConfirmedPublisher` turns into waiting: backpressure.
  if (spec.maxLength !== undefined) args['x-max-length'] = spec.maxLength;
  await channel.assertQueue(names.queue(spec.name), { durable: true, arguments: args });
  if (spec.externalExchange !== undefined) {
    await channel.bindQueue(names.queue(spec.name), names.externalExchange(spec.externalExchange), '');
  }
  for (const origin of spec.deadLettersOf ?? []) {
    await channel.bindQueue(names.queue(spec.name), names.deadExchange, origin);
  }
  for (const routingKey of spec.bindings) {
    await channel.bindQueue(names.queue(spec.name), names.pipelineExchange, routingKey);
  }
}

/** Declares the retry queues of a transport queue: each expires back into the queue. */
export async function declareRetryQueues(
  channel: Channel,
  names: AmqpNames,
  queue: string,
  tiersMs: readonly number[],
): Promise<void> {
  for (const delayMs of tiersMs) {
    const args = quorumArguments({ exchange: '', routingKey: names.queue(queue) });
    args['x-message-ttl'] = delayMs;
    await channel.assertQueue(names.retryQueue(queue, delayMs), { durable: true, arguments: args });
  }
}

/** Every broker queue that `declareQueueTopology` and `declareRetryQueues` may create for a spec. */
export function brokerQueuesOf(names: AmqpNames, spec: QueueSpec, tiersMs: readonly number[]): string[] {
  const dead = deadLetterQueueName(spec.name);
  return [spec.name, dead].flatMap((q) => [names.queue(q), ...tiersMs.map((ms) => names.retryQueue(q, ms))]);
}
