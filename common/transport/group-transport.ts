/**
 * The transport of a stage group (`deepsift worker frame-extractor,face-cropper`): stages
 * that run in one process hand messages to each other by a direct call, everything else
 * goes through the broker.
 *
 * A hand-off inside the group resolves only once the receiving stage has handled the
 * message, and its failure is the sender's failure. So the message that came from the
 * broker (a `video.job`) is acknowledged only after the whole group's work for it is
 * published onward: a group process killed mid-video loses nothing, the broker redelivers
 * the job. Concurrency and backpressure are the first stage's prefetch.
 */
import { randomUUID } from 'node:crypto';
import type { AnyEnvelope } from '../messages';
import type { ConsumeOptions, MessageHandler, PublishOptions, QueueSpec, Subscription, Transport } from './transport';

interface LocalConsumer {
  id: string;
  handler: MessageHandler;
}

export class GroupTransport implements Transport {
  private readonly localSpecs = new Map<string, QueueSpec>();
  private readonly remoteSpecs = new Map<string, QueueSpec>();
  private readonly consumers = new Map<string, LocalConsumer[]>();
  private next = 0;

  /**
   * @param remote the broker, for every queue not consumed inside the group
   * @param localQueues the queues whose consumers run in this process
   */
  constructor(
    private readonly remote: Transport,
    private readonly localQueues: ReadonlySet<string>,
  ) {}

  async declareQueue(spec: QueueSpec): Promise<void> {
    if (this.localQueues.has(spec.name)) {
      this.localSpecs.set(spec.name, spec);
      return;
    }
    this.remoteSpecs.set(spec.name, spec);
    await this.remote.declareQueue(spec);
  }

  /**
   * Hands the envelope to the group's consumers of `routingKey` (waiting for them to
   * handle it) and publishes it to the broker when a queue outside the group takes it too.
   */
  async publish(routingKey: string, envelope: AnyEnvelope, options: PublishOptions = {}): Promise<void> {
    const local = [...this.localSpecs.values()].filter((spec) => spec.bindings.includes(routingKey));
    const remote = [...this.remoteSpecs.values()].some((spec) => spec.bindings.includes(routingKey));
    if (local.length === 0 && !remote) {
      // Not declared here: let the broker decide (it knows queues declared by other processes).
      await this.remote.publish(routingKey, envelope, options);
      return;
    }
    for (const spec of local) await this.handOff(spec.name, envelope, options);
    if (remote) await this.remote.publish(routingKey, envelope, options);
  }

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Subscription> {
    if (!this.localQueues.has(queue)) return this.remote.consume(queue, handler, options);
    const consumer: LocalConsumer = { id: randomUUID(), handler };
    this.consumers.set(queue, [...(this.consumers.get(queue) ?? []), consumer]);
    let active = true;
    return {
      // Hand-offs in flight belong to the sender's delivery: they finish or fail with it.
      cancel: async () => {
        active = false;
        this.consumers.set(queue, (this.consumers.get(queue) ?? []).filter((c) => c.id !== consumer.id));
      },
      get active() {
        return active;
      },
    };
  }

  /** Closes the broker side; the group's own consumers stop with their stages. */
  async close(): Promise<void> {
    await this.remote.close();
  }

  private async handOff(queue: string, envelope: AnyEnvelope, options: PublishOptions): Promise<void> {
    const consumers = this.consumers.get(queue) ?? [];
    // A group started without the stage it hands to is a wiring bug: say so, not "unroutable".
    if (consumers.length === 0) throw new Error(`no consumer of queue "${queue}" runs in this stage group`);
    const consumer = consumers[this.next++ % consumers.length]!;
    const signal = options.signal ?? new AbortController().signal;
    await consumer.handler({ envelope, deliveryCount: 1, signal });
  }
}
