import { DeadlineExceededError, InfrastructureError, InvalidMessageError, ShutdownError, VideoRejectedError } from './errors';
import { failureKind, HAND_BACK_DELAY_MS, settleFailure, settlementOutcome } from './failure-policy';
import type { RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 3, initialDelayMs: 100, backoffCoefficient: 4, maxDelayMs: 10_000, jitterRatio: 0 };

describe('settleFailure', () => {
  it('dead-letters faults of the video or the message at once, with their code', () => {
    expect(settleFailure(new VideoRejectedError('CORRUPT_VIDEO', 'truncated'), 1, policy)).toEqual({ action: 'dead-letter', reason: 'CORRUPT_VIDEO: truncated' });
    expect(settleFailure(new InvalidMessageError('bad schema'), 2, policy)).toEqual({ action: 'dead-letter', reason: 'INVALID_MESSAGE: bad schema' });
  });

  it('retries transient failures with backoff, counting the attempt, then dead-letters them', () => {
    expect(settleFailure(new Error('socket hang up'), 1, policy)).toEqual({ action: 'retry', delayMs: 100, attempt: 2 });
    expect(settleFailure(new Error('socket hang up'), 2, policy)).toEqual({ action: 'retry', delayMs: 400, attempt: 3 });
    expect(settleFailure(new Error('socket hang up'), 3, policy)).toEqual({ action: 'dead-letter', reason: 'RETRIES_EXHAUSTED: socket hang up (attempt 3 of 3)' });
  });

  it('gives up a handler that keeps missing its deadline with DEADLINE_EXCEEDED', () => {
    const late = new DeadlineExceededError('frame-extractor', 1000);
    expect(settleFailure(late, 1, policy).action).toBe('retry');
    expect(settleFailure(late, 3, policy)).toEqual({
      action: 'dead-letter',
      reason: 'DEADLINE_EXCEEDED: frame-extractor did not finish within its deadline of 1000 ms (attempt 3 of 3)',
    });
  });

  it('hands back, without spending an attempt, what the worker or its shutdown caused', () => {
    for (const error of [new InfrastructureError('ffmpeg', 'ffmpeg: ENOENT'), new ShutdownError()]) {
      // Even on the last attempt: the video was not at fault.
      expect(settleFailure(error, 3, policy)).toEqual({ action: 'hand-back', delayMs: HAND_BACK_DELAY_MS, reason: error.message });
    }
  });

  it('names each kind and metric outcome', () => {
    expect(failureKind(new VideoRejectedError('EMPTY_FILE', 'empty'))).toBe('permanent');
    expect(failureKind(new InfrastructureError('storage', 'down'))).toBe('infrastructure');
    expect(failureKind(new ShutdownError())).toBe('shutdown');
    expect(failureKind('a string')).toBe('transient');
    expect(settlementOutcome(settleFailure(new ShutdownError(), 1, policy))).toBe('hand_back');
    expect(settlementOutcome(settleFailure(new Error('x'), 1, policy))).toBe('retry');
    expect(settlementOutcome(settleFailure(new Error('x'), 3, policy))).toBe('dead_letter');
  });
});
