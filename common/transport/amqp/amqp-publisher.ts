/**
 * Publishing with publisher confirms and `mandatory`, over one ConfirmChannel per
 * connection. A publish resolves only once the broker has confirmed that every queue the
 * message routes to holds it; it waits through connection outages and full queues.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { AMQP_HEADERS } from './amqp-headers';
import { BrokerUnavailableError, TransportClosedError, type AmqpConnection } from './amqp-connection';
import { describeError } from '../../errors';
import type { Logger } from '../../logger';
import { UnroutableError } from '../transport';

/** Time between attempts after a nack (a full `reject-publish` queue) or a lost channel. */
const RETRY_BACKOFF_MS = { initial: 25, max: 1_000 };
/** Longest wait for one attempt's confirm: a broker that never answers is asked again. */
export const PUBLISH_ATTEMPT_TIMEOUT_MS = 5_000;

/** One attempt got no confirm in time. Transient: the publish is tried again until its deadline. */
class ConfirmTimeoutError extends Error {
  override readonly name = 'ConfirmTimeoutError';
}

type Outcome = 'confirmed' | 'returned';

/** Publishes with confirms; recreates its channel on a new connection or after a channel error. */
export class ConfirmedPublisher {
  private current: { model: ChannelModel; channel: Promise<ConfirmChannel> } | undefined;
  /** Publish ids that the broker returned (no queue bound) and whose confirm is still due. */
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes `content` and resolves once the broker confirmed it. Rejects with
   * `UnroutableError` when no queue is bound to the routing key, and with
   * `BrokerUnavailableError` (retryable) when no confirm came within the timeout: a lost
   * channel, a nack or an attempt without a confirm within `PUBLISH_ATTEMPT_TIMEOUT_MS`
   * is retried until then, so a message may reach a queue twice. While the broker blocks
   * publishing (a memory or disk alarm) it waits for the unblock instead. Aborting
   * `signal` rejects with its reason.
   */
  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let backoffMs = RETRY_BACKOFF_MS.initial;
    let lastError: unknown;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      try {
        const model = await this.connection.ready(deadline - Date.now());
        if (this.connection.blocked !== undefined) {
          lastError = new Error(`the broker blocks publishing: ${this.connection.blocked}`);
          await raceDeadline(this.connection.whenUnblocked(), deadline - Date.now(), signal);
          continue;
        }
        const attemptMs = Math.min(PUBLISH_ATTEMPT_TIMEOUT_MS, Math.max(1, deadline - Date.now()));
        const confirmed = this.publishOnce(await this.channelFor(model), exchange, routingKey, content, options);
        const outcome = await raceDeadline(confirmed, attemptMs, signal, () => new ConfirmTimeoutError(`no confirm within ${attemptMs} ms`));
        if (outcome === 'returned') throw new UnroutableError(routingKey);
        return;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!isTransient(error)) throw error;
        lastError = error;
        this.logger.debug('Publish not confirmed; trying again.', { exchange, routingKey, error: describeError(error) });
      }
      await sleep(Math.min(backoffMs, Math.max(0, deadline - Date.now())));
      backoffMs = Math.min(RETRY_BACKOFF_MS.max, backoffMs * 2);
    }
    throw new BrokerUnavailableError(`publish to "${routingKey}" not confirmed within ${this.timeoutMs} ms`, { cause: lastError });
  }

  private publishOnce(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<Outcome> {
    const publishId = randomUUID();
    const headers = { ...options.headers, [AMQP_HEADERS.publishId]: publishId };
    return new Promise<Outcome>((resolve, reject) => {
      // The broker sends basic.return before the confirm of the same message, so the
      // returned set is complete when the callback runs. An error means a nack or a lost channel.
      channel.publish(exchange, routingKey, content, { ...options, headers, mandatory: options.mandatory ?? true }, (error: unknown) => {
        const wasReturned = this.returned.delete(publishId);
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(wasReturned ? 'returned' : 'confirmed');
      });
    });
  }

  private channelFor(model: ChannelModel): Promise<ConfirmChannel> {
    if (this.current?.model === model) return this.current.channel;
    const entry = { model, channel: this.openChannel(model, () => this.forget(entry)) };
    this.current = entry;
    entry.channel.catch(() => this.forget(entry));
    return entry.channel;
  }

  private forget(entry: ConfirmedPublisher['current']): void {
    if (this.current === entry) this.current = undefined;
  }

  private async openChannel(model: ChannelModel, onClose: () => void): Promise<ConfirmChannel> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: unknown) => this.logger.warn('Publisher channel error.', { error: describeError(error) }));
    channel.on('close', onClose);
    channel.on('return', (message: { properties: { headers?: Record<string, unknown> } }) => {
      const publishId = message.properties.headers?.[AMQP_HEADERS.publishId];
      if (typeof publishId === 'string') this.returned.add(publishId);
    });
    return channel;
  }
}

/** Errors worth another attempt: anything from the channel or connection, not our verdicts. */
function isTransient(error: unknown): boolean {
  return !(error instanceof UnroutableError || error instanceof BrokerUnavailableError || error instanceof TransportClosedError);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `promise`'s outcome, unless `ms` pass first (rejects with `onTimeout()`, or resolves
 * undefined without one) or `signal` aborts (rejects with its reason).
 */
function raceDeadline<T>(promise: Promise<T>, ms: number, signal?: AbortSignal, onTimeout?: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      if (onTimeout) reject(onTimeout());
      else resolve(undefined as T);
    }, Math.max(0, ms));
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
