/**
 * One AMQP connection that heals itself: when the broker goes away (restart,
 * `rabbitmqctl close_all_connections`, network), it reconnects with exponential backoff
 * and runs the setup hook (declare topology) before anyone may use it again.
 */
import type { ChannelModel } from 'amqplib';
import { describeError } from '../../errors';
import type { Logger } from '../../logger';

/** Backoff between reconnection attempts: doubles from `initialDelayMs` up to `maxDelayMs`. */
export interface ReconnectOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Reconnect quickly after a blip, then every 5 s while the broker stays away. */
export const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 100, maxDelayMs: 5_000 };

/** The broker stayed out of reach longer than allowed. Transient: callers retry later. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  readonly code = 'BROKER_UNAVAILABLE' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The transport was closed: nothing more is published or consumed. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
  readonly code = 'TRANSPORT_CLOSED' as const;
  constructor() {
    super('the transport is closed');
  }
}

/** Runs on every new connection before it is handed out; a failure drops the connection. */
export type ConnectionSetup = (model: ChannelModel) => Promise<void>;

interface Waiter {
  resolve: (model: ChannelModel) => void;
  reject: (error: Error) => void;
}

/**
 * amqplib's `connect`, with amqplib loaded on the first call rather than with this module:
 * common/ comes along with every command, and `deepsift scan` never connects to a broker.
 */
export function connectAmqp(url: string, socketOptions?: { clientProperties?: Record<string, string> }): Promise<ChannelModel> {
  const amqplib = require('amqplib') as typeof import('amqplib');
  return amqplib.connect(url, socketOptions);
}

/** A connection to the broker that reconnects until closed. */
export class AmqpConnection {
  private model: ChannelModel | undefined;
  private closed = false;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<Waiter>();
  /** Why the broker blocks publishing (a memory or disk alarm), while it does. */
  private blockedReason: string | undefined;
  private readonly unblockWaiters = new Set<() => void>();

  private constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly setup: ConnectionSetup,
    private readonly reconnect: ReconnectOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects once (failing fast if the broker is unreachable), then keeps the connection
   * up. `name` is shown by the broker (`rabbitmqctl list_connections client_properties`).
   */
  static async open(
    url: string,
    name: string,
    setup: ConnectionSetup,
    reconnect: ReconnectOptions,
    logger: Logger,
  ): Promise<AmqpConnection> {
    const connection = new AmqpConnection(url, name, setup, reconnect, logger);
    await connection.establish();
    return connection;
  }

  /** Whether a set-up connection is there right now. */
  get connected(): boolean {
    return this.model !== undefined;
  }

  /**
   * The current connection, waiting for a reconnection if there is none. Rejects with
   * `BrokerUnavailableError` after `timeoutMs` (no limit when absent) and with
   * `TransportClosedError` once closed.
   */
  ready(timeoutMs?: number): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    if (this.model) return Promise.resolve(this.model);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: (model) => { clearTimeout(timer); resolve(model); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new BrokerUnavailableError(`no broker connection within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** Why the broker blocks publishing right now (a resource alarm), or undefined. */
  get blocked(): string | undefined {
    return this.blockedReason;
  }

  /** Resolves once the broker accepts publishing again (or the connection is replaced or closed). */
  whenUnblocked(): Promise<void> {
    if (this.blockedReason === undefined) return Promise.resolve();
    return new Promise((resolve) => this.unblockWaiters.add(resolve));
  }

  private setBlocked(reason: string | undefined): void {
    this.blockedReason = reason;
    if (reason !== undefined) return;
    for (const resolve of this.unblockWaiters) resolve();
    this.unblockWaiters.clear();
  }

  /** Closes the connection for good; waiters are rejected with `TransportClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.setBlocked(undefined);
    for (const waiter of this.waiters) waiter.reject(new TransportClosedError());
    this.waiters.clear();
    const model = this.model;
    this.model = undefined;
    await model?.close().catch((error: unknown) => {
      this.logger.debug('Broker connection was already closing.', { error: describeError(error) });
    });
  }

  private async establish(): Promise<void> {
    const model = await connectAmqp(this.url, { clientProperties: { connection_name: this.name } });
    let lost = false;
    // amqplib emits 'error' before 'close'; without a listener it would crash the process.
    model.on('error', (error: unknown) => this.logger.warn('Broker connection error.', { error: describeError(error) }));
    model.on('blocked', (reason: unknown) => {
      this.logger.warn('The broker blocks publishing.', { reason: String(reason) });
      if (model === this.model) this.setBlocked(String(reason));
    });
    model.on('unblocked', () => {
      this.logger.info('The broker accepts publishing again.');
      if (model === this.model) this.setBlocked(undefined);
    });
    model.on('close', () => {
      lost = true;
      if (model === this.model) this.setBlocked(undefined);
      this.onClose(model);
    });
    try {
      await this.setup(model);
      if (lost) throw new Error('connection closed during set-up');
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    this.model = model;
    this.failedAttempts = 0;
    for (const waiter of this.waiters) waiter.resolve(model);
    this.waiters.clear();
  }

  private onClose(model: ChannelModel): void {
    if (model !== this.model) return;
    this.model = undefined;
    if (this.closed) return;
    this.logger.warn('Lost the broker connection; reconnecting.');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const { initialDelayMs, maxDelayMs } = this.reconnect;
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** this.failedAttempts);
    this.reconnectTimer = setTimeout(() => {
      this.establish().then(
        () => {
          if (!this.closed) this.logger.info('Reconnected to the broker.');
        },
        (error: unknown) => {
          if (this.closed) return;
          this.failedAttempts += 1;
          this.logger.warn('Reconnection failed; trying again.', { attempt: this.failedAttempts, error: describeError(error) });
          this.scheduleReconnect();
        },
      );
    }, delayMs);
  }
}
