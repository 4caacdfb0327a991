import { DEFAULT_DOWNLOAD_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 500, jitter: 0 };

describe('retryDelayMs', () => {
  it('grows the delay by the coefficient and caps it', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt))).toEqual([100, 200, 400, 500]);
  });

  it('allows no attempt past maxAttempts', () => {
    expect(retryDelayMs(policy, 5)).toBeUndefined();
    expect(retryDelayMs({ ...policy, maxAttempts: 1 }, 1)).toBeUndefined();
  });

  it('spreads the delay by the jitter fraction in both directions', () => {
    const jittered = { ...policy, jitter: 0.2 };
    expect(retryDelayMs(jittered, 1, () => 0)).toBe(80);
    expect(retryDelayMs(jittered, 1, () => 0.5)).toBe(100);
    expect(retryDelayMs(jittered, 1, () => 0.999999)).toBe(120);
  });

  it('defaults to four download attempts', () => {
    expect(DEFAULT_DOWNLOAD_RETRY_POLICY.maxAttempts).toBe(4);
    expect(retryDelayMs(DEFAULT_DOWNLOAD_RETRY_POLICY, 4)).toBeUndefined();
  });
});
