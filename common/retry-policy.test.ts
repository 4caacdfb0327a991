import { nextRetryDelayMs, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, backoffCoefficient: 3, maxDelayMs: 500, jitterRatio: 0 };

describe('nextRetryDelayMs', () => {
  it('grows by the coefficient up to the maximum, then gives up', () => {
    expect([1, 2, 3].map((a) => nextRetryDelayMs(policy, a))).toEqual([100, 300, 500]);
    expect(nextRetryDelayMs(policy, 4)).toBeUndefined();
  });

  it('keeps jitter within its ratio', () => {
    const jittery = { ...policy, jitterRatio: 0.2 };
    expect(nextRetryDelayMs(jittery, 1, () => 0)).toBe(80);
    expect(nextRetryDelayMs(jittery, 1, () => 0.999999)).toBe(120);
  });
});
