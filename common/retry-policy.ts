/**
 * Retry policy as data plus a pure function, after Temporal's `RetryPolicy` and
 * BullMQ's `backoffs.ts`.
 */
export interface RetryPolicy {
  /** Deliveries allowed in total, the first one included; then the message is dead-lettered. */
  maxAttempts: number;
  initialDelayMs: number;
  /** Each further delay is the previous one times this. */
  backoffCoefficient: number;
  maxDelayMs: number;
  /** Fraction of the delay that is randomised (0 = none, 0.2 = ±20 %). */
  jitterRatio: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  backoffCoefficient: 4,
  maxDelayMs: 60_000,
  jitterRatio: 0.2,
};

/**
 * The delay before delivery number `attempt + 1`, after `attempt` failed deliveries,
 * or `undefined` when no attempt is left. `random` returns [0, 1).
 */
export function nextRetryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const base = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * Math.pow(policy.backoffCoefficient, Math.max(0, attempt - 1)),
  );
  const jitter = base * policy.jitterRatio * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, base + jitter)));
}
