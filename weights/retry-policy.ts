/**
 * Retry policy as data plus a pure function, in the manner of Temporal's `RetryPolicy`
 * and BullMQ's `backoffs.ts`: attempt n waits initialDelayMs * coefficient^(n-1), capped.
 */

/** When and how often a failed operation is tried again. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts: number;
  /** Delay before the second attempt. */
  initialDelayMs: number;
  /** Factor applied to the delay after each failed attempt. */
  backoffCoefficient: number;
  /** Upper bound of any single delay. */
  maxDelayMs: number;
  /** Fraction in [0, 1] of the delay that is randomised (0: none; 0.2: ±20 %). */
  jitter: number;
}

/** Default download retries: 4 attempts, 500 ms then 1 s then 2 s, ±20 % jitter. */
export const DEFAULT_DOWNLOAD_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 500,
  backoffCoefficient: 2,
  maxDelayMs: 10_000,
  jitter: 0.2,
});

/**
 * Delay before the attempt after failed attempt `attempt` (1-based), or `undefined` when
 * the policy allows no further attempt. `random` returns a value in [0, 1).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const base = Math.min(policy.initialDelayMs * policy.backoffCoefficient ** (attempt - 1), policy.maxDelayMs);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}
