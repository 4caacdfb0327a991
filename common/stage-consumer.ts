/**
 * The one way a stage consumes its queue: every message is counted, timed, logged with
 * its videoId and stage, and settled by the transport's rules (see `Transport`).
 */
import { describeError, InvalidMessageError, isRetryable, type StageName } from './errors';
import type { Logger } from './logger';
import type { AnyEnvelope, MessageType, VideoFailedPayload, VideoInfo, VideoSource, StageTimings } from './messages';
import type { PipelineMetrics } from './metrics';
import type { ConsumeOptions, Delivery, Subscription, Transport } from './transport';
import { createEnvelope } from './envelope';
import { ROUTING } from './topology';
import type { FailureCode } from './errors';

/** What every stage is built with. */
export interface StageDeps {
  transport: Transport;
  logger: Logger;
  metrics: PipelineMetrics;
}

/** A stage handler: gets the validated envelope (one of the accepted types) and a logger bound to its video. */
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
  options: ConsumeOptions,
): Promise<Subscription> {
  const { metrics, logger } = deps;
  return deps.transport.consume(
    queue,
    async (delivery) => {
      const { envelope } = delivery;
      const log = logger.child({ stage, videoId: envelope.videoId, correlationId: envelope.correlationId });
      const stopTimer = metrics.stageDurationSeconds.startTimer({ stage });
      metrics.inFlightMessages.inc({ stage });
      try {
        if (!(accepts as readonly MessageType[]).includes(envelope.type)) {
          throw new InvalidMessageError(`${stage} does not take ${envelope.type} messages (queue ${queue})`);
        }
        await handler(envelope as Extract<AnyEnvelope, { type: T }>, log, delivery);
        metrics.messagesTotal.inc({ stage, outcome: 'ack' });
      } catch (error) {
        const lastAttempt = !isRetryable(error) || delivery.deliveryCount >= options.retryPolicy.maxAttempts;
        const outcome = lastAttempt ? 'dead_letter' : 'retry';
        metrics.messagesTotal.inc({ stage, outcome });
        log.warn('Message failed.', { type: envelope.type, outcome, attempt: delivery.deliveryCount, error: describeError(error) });
        throw error;
      } finally {
        metrics.inFlightMessages.dec({ stage });
        stopTimer();
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
): Promise<void> {
  const payload: VideoFailedPayload = {
    source: from.source,
    stage: failure.stage,
    error: { code: failure.code, message: failure.message },
    video: failure.video,
    timings: failure.timings ?? {},
  };
  await transport.publish(ROUTING.failed, createEnvelope('video.failed', from.videoId, from.correlationId, payload));
}

/** Milliseconds since `start` (from `performance.now()`), to one decimal. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
