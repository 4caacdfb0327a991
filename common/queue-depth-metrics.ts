/**
 * Backlog gauges: messages waiting and consumers attached, per queue, sampled from the
 * broker each time Prometheus scrapes (so the numbers are never older than the scrape).
 * Works on any broker that answers a passive queue declaration (AMQP 0-9-1 `queue.declare`
 * with `passive`), without its management plugin.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the broker says of one queue. */
export interface QueueDepth {
  /** Messages ready for delivery (not counting those delivered and not yet acknowledged). */
  messages: number;
  /** Consumers attached to the queue, from every worker. */
  consumers: number;
}

/** Asks the broker about queues by their transport names (`frame-extractor`, `detector.meso4-df.dead`). */
export interface QueueInspector {
  inspect(queue: string): Promise<QueueDepth>;
}

/** A queue to sample, and the stage that consumes it. */
export interface SampledQueue {
  queue: string;
  stage: string;
}

/** The gauges; each scrape asks `inspector` about every queue in `queues`. */
export class QueueDepthMetrics {
  /** Messages ready in a queue, by queue and consuming stage. */
  readonly queueMessages: Gauge<'queue' | 'stage'>;
  /** Consumers attached to a queue, by queue and consuming stage. */
  readonly queueConsumers: Gauge<'queue' | 'stage'>;
  /** Samples that failed (queue missing, broker away), by queue. */
  readonly sampleErrorsTotal: Counter<'queue'>;

  constructor(registry: Registry, inspector: QueueInspector, queues: readonly SampledQueue[]) {
    const registers = [registry];
    let sampling: Promise<void> | undefined;
    // Both gauges are collected in one scrape; one round of declarations serves both.
    const sample = () => {
      sampling ??= this.sample(inspector, queues).finally(() => (sampling = undefined));
      return sampling;
    };
    this.queueMessages = new Gauge({
      name: 'deepsift_queue_messages',
      help: 'Messages ready in a stage queue (dead-letter queues end in .dead), sampled from the broker on scrape.',
      labelNames: ['queue', 'stage'],
      registers,
      collect: sample,
    });
    this.queueConsumers = new Gauge({
      name: 'deepsift_queue_consumers',
      help: 'Consumers attached to a stage queue, from every worker, sampled from the broker on scrape.',
      labelNames: ['queue', 'stage'],
      registers,
      collect: sample,
    });
    this.sampleErrorsTotal = new Counter({
      name: 'deepsift_queue_sample_errors_total',
      help: 'Queue samples that failed (queue missing, broker out of reach), by queue.',
      labelNames: ['queue'],
      registers,
    });
    for (const { queue } of queues) this.sampleErrorsTotal.inc({ queue }, 0);
  }

  private async sample(inspector: QueueInspector, queues: readonly SampledQueue[]): Promise<void> {
    await Promise.all(
      queues.map(async ({ queue, stage }) => {
        try {
          const depth = await inspector.inspect(queue);
          this.queueMessages.set({ queue, stage }, depth.messages);
          this.queueConsumers.set({ queue, stage }, depth.consumers);
        } catch {
          // A stale number would read as a backlog that is not there: drop the series.
          this.queueMessages.remove({ queue, stage });
          this.queueConsumers.remove({ queue, stage });
          this.sampleErrorsTotal.inc({ queue });
        }
      }),
    );
  }
}
