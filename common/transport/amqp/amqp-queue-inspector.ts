/**
 * `QueueInspector` over AMQP 0-9-1: a passive `queue.declare` per queue on a connection of
 * its own (opened on first use, opened again after the broker dropped it), so sampling the
 * backlog never competes with the transport's publishing and consuming channels.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { connectAmqp } from './amqp-connection';
import { AmqpNames } from './amqp-topology';
import type { QueueDepth, QueueInspector } from '../../queue-depth-metrics';

/** Where to connect and which namespace the queue names are in. */
export interface AmqpQueueInspectorOptions {
  url: string;
  namespace: string;
  /** Shown by the broker (`rabbitmqctl list_connections client_properties`). */
  connectionName?: string;
}

/** Samples queue depth and consumer count with passive declarations. */
export class AmqpQueueInspector implements QueueInspector {
  private readonly names: AmqpNames;
  private model: Promise<ChannelModel> | undefined;
  private channel: Promise<Channel> | undefined;
  private closed = false;

  constructor(private readonly options: AmqpQueueInspectorOptions) {
    this.names = new AmqpNames(options.namespace);
  }

  /** Messages ready and consumers of one queue; rejects when the queue does not exist or the broker is away. */
  async inspect(queue: string): Promise<QueueDepth> {
    if (this.closed) throw new Error('the queue inspector is closed');
    const channel = await this.openChannel();
    // A missing queue closes the channel (404): the next call opens a new one.
    const ok = await channel.checkQueue(this.names.queue(queue));
    return { messages: ok.messageCount, consumers: ok.consumerCount };
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.then((m) => m.close()).catch(() => undefined);
  }

  private openChannel(): Promise<Channel> {
    this.channel ??= this.openModel()
      .then((model) => model.createChannel())
      .then((channel) => {
        channel.on('error', () => undefined);
        channel.on('close', () => (this.channel = undefined));
        return channel;
      });
    this.channel.catch(() => (this.channel = undefined));
    return this.channel;
  }

  private openModel(): Promise<ChannelModel> {
    this.model ??= connectAmqp(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName ?? `deepsift ${this.options.namespace} queue-metrics pid ${process.pid}` },
    }).then((model) => {
      model.on('error', () => undefined);
      model.on('close', () => {
        this.model = undefined;
        this.channel = undefined;
      });
      return model;
    });
    this.model.catch(() => (this.model = undefined));
    return this.model;
  }
}
