/**
 * The API server's link to a deployment's broker: publishes crawler jobs (CrawlerJobPublisher)
 * and hears every announcement on the results exchange through an exclusive queue of its own.
 * When the broker drops the connection the link comes back with backoff (0.5 s doubling to
 * 30 s) and declares its queue again; a publish that fails on a dead connection reconnects
 * once and retries. Announcements made while it was away are not heard.
 */
import amqp, { type ChannelModel } from 'amqplib';
import type { ReportAnnouncement } from '../aggregator';
import type { Logger } from '../common';
import { CrawlerJobPublisher, type CrawlerJob } from '../ingest';

/** Longest wait between two reconnection attempts. */
export const MAX_RECONNECT_DELAY_MS = 30_000;

/** Where the deployment's broker is. */
export interface DeploymentLinkOptions {
  amqpUrl: string;
  namespace: string;
}

/** A publisher of crawler jobs and a listener to announcements that survives broker restarts. */
export class DeploymentLink {
  private publisher: CrawlerJobPublisher | undefined;
  private connection: ChannelModel | undefined;
  private connecting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly options: DeploymentLinkOptions,
    private readonly logger: Logger,
    private readonly onAnnouncement: (announcement: ReportAnnouncement) => void,
  ) {}

  /** Connects; rejects when the broker cannot be reached at start. */
  static async open(options: DeploymentLinkOptions, logger: Logger, onAnnouncement: (announcement: ReportAnnouncement) => void): Promise<DeploymentLink> {
    const link = new DeploymentLink(options, logger, onAnnouncement);
    await link.connect();
    return link;
  }

  /** Publishes a job; reconnects and retries once if the connection was lost. */
  async publish(job: CrawlerJob): Promise<void> {
    try {
      await this.connected().then((publisher) => publisher.publish(job));
    } catch (error) {
      this.logger.warn('Publishing a job failed; reconnecting to retry once.', { error: (error as Error).message });
      await this.reconnect();
      await (await this.connected()).publish(job);
    }
  }

  /** Closes the connections; no reconnection after this. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.connecting?.catch(() => undefined);
    await this.publisher?.close();
    await this.connection?.close().catch(() => undefined);
  }

  private async connected(): Promise<CrawlerJobPublisher> {
    if (this.connecting) await this.connecting;
    if (!this.publisher || !this.connection) await this.reconnect();
    return this.publisher!;
  }

  private reconnect(): Promise<void> {
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    await this.publisher?.close();
    this.publisher = undefined;
    const publisher = await CrawlerJobPublisher.connect(this.options.amqpUrl, this.options.namespace);
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(this.options.amqpUrl, { clientProperties: { connection_name: `deepsift ${this.options.namespace} serve` } });
      await this.follow(connection);
    } catch (error) {
      await publisher.close();
      throw error;
    }
    connection.on('error', (error: Error) => this.logger.warn('Broker connection error.', { error: error.message }));
    connection.on('close', () => {
      if (this.connection !== connection || this.closed) return;
      this.connection = undefined;
      this.logger.warn('Lost the broker connection; reconnecting.', { namespace: this.options.namespace });
      this.retry(0);
    });
    this.publisher = publisher;
    this.connection = connection;
  }

  private retry(attempt: number): void {
    if (this.closed) return;
    const delayMs = Math.min(MAX_RECONNECT_DELAY_MS, 500 * 2 ** attempt);
    this.timer = setTimeout(() => {
      this.reconnect().then(
        () => this.logger.info('Reconnected to the broker.', { namespace: this.options.namespace }),
        () => this.retry(attempt + 1),
      );
    }, delayMs);
  }

  /** An exclusive queue of our own on the results exchange: every announcement. */
  private async follow(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    const exchange = `${this.options.namespace}.results`;
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, 'report.#');
    await channel.consume(queue, (message) => {
      if (!message) return;
      try {
        this.onAnnouncement(JSON.parse(message.content.toString()) as ReportAnnouncement);
      } catch {
        this.logger.warn('Unreadable announcement on the results exchange.', { exchange });
      }
    }, { noAck: true });
  }
}
