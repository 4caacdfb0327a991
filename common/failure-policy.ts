/**
 * The failure taxonomy in one pure function: what becomes of a message whose handler
 * threw. Both transports settle by it and the stage metrics count by it, so the three
 * never disagree. (After nats.js `ack/nak/term` and Temporal's non-retryable failures.)
 *
 * | the error is about         | class                                          | settlement                          |
 * | -------------------------- | ---------------------------------------------- | ----------------------------------- |
 * | the video or the message   | `VideoRejectedError`, `InvalidMessageError`    | dead-letter now, with the reason    |
 * | the worker itself          | `InfrastructureError`                          | hand back, no attempt spent         |
 * | the worker shutting down   | `ShutdownError`                                | hand back, no attempt spent         |
 * | anything else (transient)  | `DeadlineExceededError`, network, …            | retry after backoff; dead-letter after the last attempt |
 */
import {
  describeError,
  InfrastructureError,
  InvalidMessageError,
  ShutdownError,
  VideoRejectedError,
} from './errors';
import { nextRetryDelayMs, type RetryPolicy } from './retry-policy';

/** Delay before a handed-back message is offered again, so a sick worker does not spin on it. */
export const HAND_BACK_DELAY_MS = 500;

/** Which of the four kinds of failure an error is. */
export type FailureKind = 'permanent' | 'infrastructure' | 'shutdown' | 'transient';

/** What to do with a message whose handler failed. */
export type Settlement =
  /** Deliver again after `delayMs` as attempt `attempt`. */
  | { action: 'retry'; delayMs: number; attempt: number }
  /** Give it up: to the dead-letter queue with `reason` (`CODE: message`), never retried. */
  | { action: 'dead-letter'; reason: string }
  /** Return it unchanged (same attempt) after `delayMs`: the fault was not the message's. */
  | { action: 'hand-back'; delayMs: number; reason: string };

/** The kind of failure an error is. */
export function failureKind(error: unknown): FailureKind {
  if (error instanceof VideoRejectedError || error instanceof InvalidMessageError) return 'permanent';
  if (error instanceof InfrastructureError) return 'infrastructure';
  if (error instanceof ShutdownError) return 'shutdown';
  return 'transient';
}

/**
 * Decides the settlement of a failed delivery. `attempt` is the delivery that failed
 * (1 on the first); `random` feeds the backoff jitter.
 */
export function settleFailure(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Settlement {
  switch (failureKind(error)) {
    case 'permanent': {
      const { code } = error as VideoRejectedError | InvalidMessageError;
      return { action: 'dead-letter', reason: `${code}: ${describeError(error)}` };
    }
    case 'infrastructure':
    case 'shutdown':
      return { action: 'hand-back', delayMs: HAND_BACK_DELAY_MS, reason: describeError(error) };
    case 'transient': {
      const delayMs = nextRetryDelayMs(policy, attempt, random);
      if (delayMs === undefined) return { action: 'dead-letter', reason: `${exhaustedCode(error)}: ${describeError(error)} (attempt ${attempt} of ${policy.maxAttempts})` };
      return { action: 'retry', delayMs, attempt: attempt + 1 };
    }
  }
}

/** The code a message given up after its last attempt is dead-lettered with. */
function exhaustedCode(error: unknown): string {
  return (error as { code?: unknown })?.code === 'DEADLINE_EXCEEDED' ? 'DEADLINE_EXCEEDED' : 'RETRIES_EXHAUSTED';
}

/** The `deepsift_messages_total{outcome}` label of a settlement. */
export function settlementOutcome(settlement: Settlement): 'retry' | 'dead_letter' | 'hand_back' {
  return settlement.action === 'dead-letter' ? 'dead_letter' : settlement.action === 'hand-back' ? 'hand_back' : 'retry';
}
