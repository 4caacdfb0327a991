/**
 * Publishing crawler jobs, as `deepsift submit` does and as upstream crawlers may: a JSON
 * job (crawler-job.schema.json) to the fanout exchange `<namespace>.submit`, persistent,
 * with a publisher confirm, and `mandatory` so that a job nobody would receive (no ingest
 * worker has ever declared its queue) is an error rather than lost.
 */
import type { ConfirmChannel, ChannelModel } from 'amqplib';
import { connectAmqp } from '../common/transport/amqp/amqp-connection';
import type { CrawlerJob } from './crawler-job';

export class CrawlerJobPublisher {
  private returned = false;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly exchange: string,
  ) {
    channel.on('return', () => {
      this.returned = true;
    });
  }

  static async connect(url: string, namespace: string): Promise<CrawlerJobPublisher> {
    const connection = await connectAmqp(url);
    const channel = await connection.createConfirmChannel();
    const exchange = `${namespace}.submit`;
    await channel.assertExchange(exchange, 'fanout', { durable: true });
    return new CrawlerJobPublisher(connection, channel, exchange);
  }

  /** Publishes one job; resolves when the broker has it. */
  async publish(job: CrawlerJob): Promise<void> {
    this.returned = false;
    await new Promise<void>((resolve, reject) => {
      this.channel.publish(
        this.exchange,
        '',
        Buffer.from(JSON.stringify(job)),
        { persistent: true, contentType: 'application/json', mandatory: true, ...(job.correlationId ? { correlationId: job.correlationId } : {}) },
        (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()),
      );
    });
    if (this.returned) throw new Error(`no queue is bound to ${this.exchange}: start an ingest worker (deepsift worker ingest) first`);
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
