/** How the weights fetcher retries downloads: the shared retry policy, with its own defaults. */
import type { RetryPolicy } from '../common/retry-policy';

/** Default download retries: 4 attempts, 500 ms then 1 s then 2 s, ±20 % jitter. */
export const DEFAULT_DOWNLOAD_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 500,
  backoffCoefficient: 2,
  maxDelayMs: 10_000,
  jitterRatio: 0.2,
});
