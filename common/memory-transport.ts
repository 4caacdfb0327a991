/**
 * `Transport` in one process: the embedded mode's broker. Queues are arrays, consumers
 * take at most `prefetch` messages at a time, full queues make publishers wait, and
 * failed messages are retried after the policy's delay or moved to `<queue>.dead`.
 */
import { describeError, InvalidMessageError, VideoRejectedError } from './errors';
import type { AnyEnvelope } from './messages';
import { nextRetryDelayMs } from './retry-policy';
import {
  deadLetterQueueName,
  UnroutableError,
  type ConsumeOptions,
  type Delivery,
  type MessageHandler,
  type QueueSpec,
  type Subscription,
  type Transport,
} from './transport';

interface QueuedMessage {
  delivery: Delivery;
}

interface Consumer {
  handler: MessageHandler;
  options: ConsumeOptions;
  inFlight: Set<Promise<void>>;
  active: boolean;
}

class MemoryQueue {
  readonly messages: QueuedMessage[] = [];
  readonly consumers: Consumer[] = [];
  /** Messages waiting for a retry timer: still owned by the queue. */
  delayed = 0;
  private roomWaiters: Array<() => void> = [];

  constructor(readonly spec: QueueSpec) {}

  hasRoom(): boolean {
    return this.spec.maxLength === undefined || this.messages.length < this.spec.maxLength;
  }

  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  notifyRoom(): void {
    while (this.hasRoom() && this.roomWaiters.length > 0) this.roomWaiters.shift()!();
  }
}

/** In-process transport with ack / retry / dead-letter semantics and backpressure. */
export class MemoryTransport implements Transport {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  async declareQueue(spec: QueueSpec): Promise<void> {
    if (this.queues.has(spec.name)) return;
    this.queues.set(spec.name, new MemoryQueue(spec));
    const dead = deadLetterQueueName(spec.name);
    this.queues.set(dead, new MemoryQueue({ name: dead, bindings: [] }));
  }

  async publish(routingKey: string, envelope: AnyEnvelope): Promise<void> {
    const targets = [...this.queues.values()].filter((q) => q.spec.bindings.includes(routingKey));
    if (targets.length === 0) throw new UnroutableError(routingKey);
    for (const queue of targets) {
      while (!queue.hasRoom() && !this.closed) await queue.waitForRoom();
      this.enqueue(queue, { delivery: { envelope, deliveryCount: 1 } });
    }
  }

  async consume(queueName: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    const queue = this.requireQueue(queueName);
    const consumer: Consumer = { handler, options, inFlight: new Set(), active: true };
    queue.consumers.push(consumer);
    this.dispatch(queue);
    return {
      cancel: async () => {
        consumer.active = false;
        queue.consumers.splice(queue.consumers.indexOf(consumer), 1);
        await Promise.allSettled([...consumer.inFlight]);
      },
    };
  }

  /** Messages waiting in a queue (not in flight), e.g. to inspect a dead-letter queue. */
  depth(queueName: string): number {
    return this.requireQueue(queueName).messages.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const inFlight: Promise<void>[] = [];
    for (const queue of this.queues.values()) {
      for (const consumer of queue.consumers) {
        consumer.active = false;
        inFlight.push(...consumer.inFlight);
      }
      queue.notifyRoom();
    }
    await Promise.allSettled(inFlight);
  }

  private requireQueue(name: string): MemoryQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`queue "${name}" is not declared`);
    return queue;
  }

  private enqueue(queue: MemoryQueue, message: QueuedMessage): void {
    queue.messages.push(message);
    this.dispatch(queue);
  }

  /** Hands waiting messages to consumers with free prefetch slots, round-robin. */
  private dispatch(queue: MemoryQueue): void {
    if (this.closed) return;
    let progressed = true;
    while (progressed && queue.messages.length > 0) {
      progressed = false;
      for (const consumer of queue.consumers) {
        if (!consumer.active || consumer.inFlight.size >= consumer.options.prefetch) continue;
        const message = queue.messages.shift();
        if (!message) break;
        progressed = true;
        this.deliver(queue, consumer, message);
      }
    }
    queue.notifyRoom();
  }

  private deliver(queue: MemoryQueue, consumer: Consumer, message: QueuedMessage): void {
    const run = (async () => {
      try {
        await consumer.handler(message.delivery);
      } catch (error) {
        this.settleFailure(queue, consumer, message, error);
      }
    })();
    consumer.inFlight.add(run);
    void run.finally(() => {
      consumer.inFlight.delete(run);
      this.dispatch(queue);
    });
  }

  private settleFailure(queue: MemoryQueue, consumer: Consumer, message: QueuedMessage, error: unknown): void {
    const { delivery } = message;
    if (error instanceof InvalidMessageError || error instanceof VideoRejectedError) {
      this.deadLetter(queue, delivery, `${error.code}: ${error.message}`);
      return;
    }
    const delayMs = nextRetryDelayMs(consumer.options.retryPolicy, delivery.deliveryCount);
    if (delayMs === undefined || this.closed) {
      this.deadLetter(queue, delivery, `RETRIES_EXHAUSTED: ${describeError(error)}`);
      return;
    }
    queue.delayed += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      queue.delayed -= 1;
      this.enqueue(queue, { delivery: { ...delivery, deliveryCount: delivery.deliveryCount + 1 } });
    }, delayMs);
    this.timers.add(timer);
  }

  private deadLetter(queue: MemoryQueue, delivery: Delivery, reason: string): void {
    const origin = queue.spec.name;
    const readers = [...this.queues.values()].filter((q) => q.spec.deadLettersOf?.includes(origin));
    const dead = this.queues.get(deadLetterQueueName(origin));
    for (const target of dead ? [dead, ...readers] : readers) {
      this.enqueue(target, { delivery: { ...delivery, deadLetterReason: reason, deadLetterQueue: origin } });
    }
  }
}
