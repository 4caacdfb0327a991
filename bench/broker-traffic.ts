/**
 * Counts what crosses a deployment's exchanges, without the management plugin: one extra
 * exclusive queue bound to every routing key the workers bound on `<ns>.pipeline` and
 * `<ns>.dead`, to `#` on `<ns>.results` and to the fanout exchanges fed from outside. A
 * message routed to two queues crosses the broker once and is counted once. Retries are
 * published to the default exchange (which takes no bindings) and are counted from the
 * workers' logs instead (see `distributed-bench.ts`).
 */
import { execFileSync } from 'node:child_process';
import amqp, { type Channel, type ChannelModel } from 'amqplib';

/** Messages and content bytes through one exchange and routing key. */
export interface TrafficLine {
  exchange: string;
  routingKey: string;
  messages: number;
  bytes: number;
  maxBytes: number;
}

/** Everything counted between `start` and `stop`. */
export interface BrokerTraffic {
  messages: number;
  /** Message bodies only; AMQP properties and headers add some 200–400 bytes each. */
  bytes: number;
  maxBytes: number;
  /** The routing key of the largest message. */
  maxRoutingKey: string;
  lines: TrafficLine[];
}

/** A counting queue on one namespace's exchanges. */
export class BrokerTrafficCounter {
  private readonly lines = new Map<string, TrafficLine>();
  private consumerTag: string | undefined;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly queue: string,
  ) {}

  /**
   * Binds the counting queue. Call it once every worker is ready, so that their bindings
   * exist (they are read back with `rabbitmqctl list_bindings`).
   */
  static async create(url: string, namespace: string, fanoutExchanges: string[]): Promise<BrokerTrafficCounter> {
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    // Classic, exclusive, server-named: it goes when the connection does, and is not under <ns>.
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (const { exchange, routingKey } of bindingsOf(namespace, ['pipeline', 'dead'])) {
      await channel.bindQueue(queue, exchange, routingKey);
    }
    await channel.bindQueue(queue, `${namespace}.results`, '#');
    for (const fanout of fanoutExchanges) await channel.bindQueue(queue, `${namespace}.${fanout}`, '');
    return new BrokerTrafficCounter(connection, channel, queue);
  }

  /** Starts counting. */
  async start(): Promise<void> {
    const { consumerTag } = await this.channel.consume(this.queue, (message) => {
      if (!message) return;
      const { exchange, routingKey } = message.fields;
      const id = `${exchange} ${routingKey}`;
      const line = this.lines.get(id) ?? { exchange, routingKey, messages: 0, bytes: 0, maxBytes: 0 };
      line.messages += 1;
      line.bytes += message.content.length;
      line.maxBytes = Math.max(line.maxBytes, message.content.length);
      this.lines.set(id, line);
    }, { noAck: true });
    this.consumerTag = consumerTag;
  }

  /** Stops counting (after the broker has delivered what is already queued) and closes the connection. */
  async stop(settleMs = 1_000): Promise<BrokerTraffic> {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    if (this.consumerTag) await this.channel.cancel(this.consumerTag);
    await this.connection.close();
    const lines = [...this.lines.values()].sort((a, b) => b.bytes - a.bytes);
    const largest = lines.reduce<TrafficLine | undefined>((max, l) => (max === undefined || l.maxBytes > max.maxBytes ? l : max), undefined);
    return {
      messages: lines.reduce((n, l) => n + l.messages, 0),
      bytes: lines.reduce((n, l) => n + l.bytes, 0),
      maxBytes: largest?.maxBytes ?? 0,
      maxRoutingKey: largest?.routingKey ?? '-',
      lines,
    };
  }
}

/** The distinct (exchange, routing key) pairs bound on `<ns>.<exchange>` for the given exchanges. */
function bindingsOf(namespace: string, exchanges: string[]): Array<{ exchange: string; routingKey: string }> {
  const wanted = new Set(exchanges.map((e) => `${namespace}.${e}`));
  const listing = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', 'list_bindings', 'source_name', 'routing_key'], { encoding: 'utf8' });
  const pairs = new Map<string, { exchange: string; routingKey: string }>();
  for (const line of listing.split('\n')) {
    const [exchange, routingKey] = line.split('\t');
    if (exchange !== undefined && routingKey !== undefined && wanted.has(exchange)) pairs.set(`${exchange} ${routingKey}`, { exchange, routingKey });
  }
  return [...pairs.values()];
}
