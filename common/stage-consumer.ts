/**
 * The one way a stage consumes its queue: every message is counted, timed, logged with
 * its videoId and stage, and settled by the transport's rules (see `Transport`). Each
 * handler call gets a context, as an activity has in Temporal: an abort signal that fires
 * at the stage's deadline or when the worker shuts down, to be passed into ffmpeg, S3
 * calls and publishes.
 */
import { DeadlineExceededError, describeError, InfrastructureError, InvalidMessageError, type StageName } from './errors';
import { settleFailure, settlementOutcome } from './failure-policy';
import type { DependencyGate } from './dependency-gate';
import type { Logger } from './logger';
import type { AnyEnvelope, MessageType, VideoFailedPayload, VideoInfo, VideoSource, StageTimings } from './messages';
import type { PipelineMetrics } from './metrics';
import type { ConsumeOptions, Delivery, PublishOptions, Subscription, Transport } from './transport/transport';
import { createEnvelope } from './envelope';
import { ROUTING } from './topology';
import type { FailureCode } from './errors';

/** What every stage is built with. */
export interface StageDeps {
  transport: Transport;
  logger: Logger;
  metrics: PipelineMetrics;
  /** The worker's dependencies: stages wait while one is down and report the ones they find broken. */
  dependencies?: DependencyGate;
}

/** How a stage consumes: the transport's options and the handler's deadline. */
export interface StageConsumeOptions extends ConsumeOptions {
  /** A handler call still running this long after it started is aborted (`DeadlineExceededError`); none when absent. */
  deadlineMs?: number;
}

/**
 * A stage handler: gets the validated envelope (one of the accepted types), a logger bound
 * to its video, and the delivery, whose `signal` aborts at the deadline or on shutdown.
 */
export type StageHandler<T extends MessageType = MessageType> = (
  envelope: Extract<AnyEnvelope, { type: T }>,
  log: Logger,
  delivery: Delivery,
) => Promise<void>;

/**
 * Consumes `queue` on behalf of `stage`, wrapping `handler` with metrics and logs. A
 * message of a type the stage does not accept is dead-lettered with the reason.
 */
export async function consumeAsStage<T extends MessageType>(
  deps: StageDeps,
  stage: StageName,
  queue: string,
  accepts: readonly T[],
  handler: StageHandler<T>,
  options: StageConsumeOptions,
): Promise<Subscription> {
  const { metrics, logger, dependencies } = deps;
  return deps.transport.consume(
    queue,
    async (delivery) => {
      const { envelope } = delivery;
      const log = logger.child({ stage, videoId: envelope.videoId, correlationId: envelope.correlationId });
      const context = new AbortController();
      const onShutdown = () => context.abort(delivery.signal.reason);
      if (delivery.signal.aborted) onShutdown();
      else delivery.signal.addEventListener('abort', onShutdown, { once: true });
      let deadline: NodeJS.Timeout | undefined;
      metrics.inFlightMessages.inc({ stage });
      let stopTimer: (() => void) | undefined;
      try {
        // No new work while a dependency is down; waiting spends none of the deadline.
        await dependencies?.whenUp(context.signal);
        stopTimer = metrics.stageDurationSeconds.startTimer({ stage });
        if (options.deadlineMs !== undefined) {
          const deadlineMs = options.deadlineMs;
          deadline = setTimeout(() => context.abort(new DeadlineExceededError(stage, deadlineMs)), deadlineMs);
        }
        if (!(accepts as readonly MessageType[]).includes(envelope.type)) {
          throw new InvalidMessageError(`${stage} does not take ${envelope.type} messages (queue ${queue})`);
        }
        await handler(envelope as Extract<AnyEnvelope, { type: T }>, log, { ...delivery, signal: context.signal });
        metrics.messagesTotal.inc({ stage, outcome: 'ack' });
      } catch (error) {
        // An aborted handler fails with whatever its tools threw; the abort's reason says why.
        const failure = context.signal.aborted ? context.signal.reason : error;
        if (failure instanceof InfrastructureError) dependencies?.reportDown(failure);
        const settlement = settleFailure(failure, delivery.deliveryCount, options.retryPolicy);
        const outcome = settlementOutcome(settlement);
        metrics.messagesTotal.inc({ stage, outcome });
        log.warn('Message failed.', { type: envelope.type, outcome, attempt: delivery.deliveryCount, error: describeError(failure) });
        throw failure;
      } finally {
        clearTimeout(deadline);
        delivery.signal.removeEventListener('abort', onShutdown);
        metrics.inFlightMessages.dec({ stage });
        stopTimer?.();
      }
    },
    options,
  );
}

/** Announces that a video failed at `stage`: the aggregator turns this into a failed report. */
export async function publishVideoFailure(
  transport: Transport,
  from: { videoId: string; correlationId: string; source: VideoSource },
  failure: { stage: StageName; code: FailureCode; message: string; video?: VideoInfo; timings?: StageTimings },
  options: PublishOptions = {},
): Promise<void> {
  const payload: VideoFailedPayload = {
    source: from.source,
    stage: failure.stage,
    error: { code: failure.code, message: failure.message },
    video: failure.video,
    timings: failure.timings ?? {},
  };
  await transport.publish(ROUTING.failed, createEnvelope('video.failed', from.videoId, from.correlationId, payload), options);
}

/** Milliseconds since `start` (from `performance.now()`), to one decimal. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
