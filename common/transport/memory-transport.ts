/**
 * `Transport` in one process: the embedded mode's broker. Queues are arrays, consumers
 * take at most `prefetch` messages at a time, full queues make publishers wait, and
 * failed messages are retried after the policy's delay or moved to `<queue>.dead`.
 */
import { settleFailure } from '../failure-policy';
import { InFlightHandlers } from '../in-flight-handlers';
import type { AnyEnvelope } from '../messages';
import {
  deadLetterQueueName,
  UnroutableError,
  type ConsumeOptions,
  type Delivery,
  type MessageHandler,
  type PublishOptions,
  type QueueSpec,
  type Subscription,
  type Transport,
} from './transport';

/** A message as queued: everything of a delivery but the signal, which each delivery gets afresh. */
interface QueuedMessage {
  delivery: Omit<Delivery, 'signal'>;
}

interface Consumer {
  handler: MessageHandler;
  options: ConsumeOptions;
  inFlight: InFlightHandlers;
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

  waitForRoom(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.roomWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
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

  async publish(routingKey: string, envelope: AnyEnvelope, options: PublishOptions = {}): Promise<void> {
    const targets = [...this.queues.values()].filter((q) => q.spec.bindings.includes(routingKey));
    if (targets.length === 0) throw new UnroutableError(routingKey);
    for (const queue of targets) {
      options.signal?.throwIfAborted();
      while (!queue.hasRoom() && !this.closed) await queue.waitForRoom(options.signal);
      this.enqueue(queue, { delivery: { envelope, deliveryCount: 1 } });
    }
  }

  async consume(queueName: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    const queue = this.requireQueue(queueName);
    const consumer: Consumer = { handler, options, inFlight: new InFlightHandlers(), active: true };
    queue.consumers.push(consumer);
    this.dispatch(queue);
    return {
      cancel: async (graceMs?: number) => {
        if (consumer.active) {
          consumer.active = false;
          queue.consumers.splice(queue.consumers.indexOf(consumer), 1);
        }
        await consumer.inFlight.drain(graceMs);
      },
      get active() {
        return consumer.active;
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
    const draining: Promise<number>[] = [];
    for (const queue of this.queues.values()) {
      for (const consumer of queue.consumers) {
        consumer.active = false;
        draining.push(consumer.inFlight.drain());
      }
      queue.notifyRoom();
    }
    await Promise.all(draining);
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
    const run = consumer.inFlight.track(async (signal) => {
      try {
        await consumer.handler({ ...message.delivery, signal });
      } catch (error) {
        this.settleFailure(queue, consumer, message, error);
      }
    });
    void run.finally(() => this.dispatch(queue));
  }

  private settleFailure(queue: MemoryQueue, consumer: Consumer, message: QueuedMessage, error: unknown): void {
    const { delivery } = message;
    const settlement = settleFailure(error, delivery.deliveryCount, consumer.options.retryPolicy);
    if (settlement.action === 'dead-letter') {
      this.deadLetter(queue, delivery, settlement.reason);
      return;
    }
    // In one process nothing outlives `close`: a message still to be retried then is dropped with it.
    if (this.closed) return;
    const deliveryCount = settlement.action === 'retry' ? settlement.attempt : delivery.deliveryCount;
    queue.delayed += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      queue.delayed -= 1;
      this.enqueue(queue, { delivery: { ...delivery, deliveryCount } });
    }, settlement.delayMs);
    this.timers.add(timer);
  }

  private deadLetter(queue: MemoryQueue, delivery: QueuedMessage['delivery'], reason: string): void {
    const origin = queue.spec.name;
    const readers = [...this.queues.values()].filter((q) => q.spec.deadLettersOf?.includes(origin));
    const dead = this.queues.get(deadLetterQueueName(origin));
    for (const target of dead ? [dead, ...readers] : readers) {
      this.enqueue(target, { delivery: { ...delivery, deadLetterReason: reason, deadLetterQueue: origin } });
    }
  }
}
