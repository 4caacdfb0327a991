/**
 * The RabbitMQ objects behind `AmqpTransport`, all named under one namespace so that
 * two deployments (or two tests) can share a broker without crossing:
 *
 *   <ns>.pipeline               direct exchange; `publish(routingKey)` goes here
 *   <ns>.<queue>                quorum queue bound to the spec's routing keys; the broker
 *                               dead-letters a message it delivered too often to <ns>.dead
 *   <ns>.dead                   direct exchange; routing key = the origin queue's name
 *   <ns>.<queue>.dead           quorum queue holding the dead letters of <queue>
 *   <ns>.retry.<ms>             fanout exchange and quorum queue with a message TTL of <ms>,
 *                               one per delay tier, shared by every queue: a failed message
 *                               is published there with its own queue's name as routing
 *                               key, waits, and expires into <ns>.requeue with that key
 *   <ns>.requeue                direct exchange; every queue (and dead-letter queue) is bound
 *                               to it by its own name, so a retried message finds its way back
 *   <ns>.<external>             fanout exchange feeding a queue from outside (crawler jobs,
 *                               S3 notifications); its messages are raw bytes
 *   <ns>.results                topic exchange announcing reports (see `announce`)
 *
 * Sharing the tiers keeps a deployment at about 20 quorum queues (two per stage queue plus
 * four tiers) instead of 48: a broker's file handles, not its CPU, bound how many quorum
 * queues it can hold (RabbitMQ with 1,024 handles stops at about 330).
 *
 * Every queue is a quorum queue with at-least-once dead-lettering, which RabbitMQ 3.10
 * supports only together with `x-overflow: reject-publish`: a message that expires or
 * exceeds the delivery limit stays in its queue until the target queue has confirmed it.
 */
import type { Channel } from 'amqplib';
import { deadLetterQueueName, type QueueSpec } from '../transport';

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

  /** The retry queue (and the fanout exchange in front of it) of one delay tier. */
  retryTier(delayMs: number): string {
    return `${this.namespace}.retry.${delayMs}`;
  }

  /** The exchange through which expired retries return to their queues (routing key = transport queue). */
  get requeueExchange(): string {
    return `${this.namespace}.requeue`;
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
function quorumArguments(deadLetter?: { exchange: string; routingKey?: string }): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish' };
  if (deadLetter) {
    args['x-dead-letter-exchange'] = deadLetter.exchange;
    if (deadLetter.routingKey !== undefined) args['x-dead-letter-routing-key'] = deadLetter.routingKey;
    args['x-dead-letter-strategy'] = 'at-least-once';
  }
  return args;
}

/**
 * Declares what the namespace's queues share: the pipeline, dead-letter, results and
 * requeue exchanges and the retry tiers. Idempotent.
 */
export async function declareSharedTopology(channel: Channel, names: AmqpNames, tiersMs: readonly number[]): Promise<void> {
  await channel.assertExchange(names.pipelineExchange, 'direct', { durable: true });
  await channel.assertExchange(names.deadExchange, 'direct', { durable: true });
  await channel.assertExchange(names.resultsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.requeueExchange, 'direct', { durable: true });
  for (const delayMs of tiersMs) {
    const tier = names.retryTier(delayMs);
    // No dead-letter routing key: an expired message keeps the key it was published with.
    const args = quorumArguments({ exchange: names.requeueExchange });
    args['x-message-ttl'] = delayMs;
    await channel.assertExchange(tier, 'fanout', { durable: true });
    await channel.assertQueue(tier, { durable: true, arguments: args });
    await channel.bindQueue(tier, tier, '');
  }
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
  await channel.bindQueue(names.queue(dead), names.requeueExchange, dead);
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
  await channel.bindQueue(names.queue(spec.name), names.requeueExchange, spec.name);
}

/** The broker queues of a spec: the queue and its dead-letter queue. */
export function brokerQueuesOf(names: AmqpNames, spec: QueueSpec): string[] {
  return [names.queue(spec.name), names.queue(deadLetterQueueName(spec.name))];
}

/** The broker queues a namespace shares between its specs: one per retry tier. */
export function sharedBrokerQueues(names: AmqpNames, tiersMs: readonly number[]): string[] {
  return tiersMs.map((ms) => names.retryTier(ms));
}

/** The exchanges a namespace declares besides the external ones. */
export function sharedExchanges(names: AmqpNames, tiersMs: readonly number[]): string[] {
  return [names.pipelineExchange, names.deadExchange, names.resultsExchange, names.requeueExchange, ...tiersMs.map((ms) => names.retryTier(ms))];
}
