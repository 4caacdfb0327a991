import { nextRetryDelayMs } from '../common/retry-policy';
import { DEFAULT_DOWNLOAD_RETRY_POLICY } from './download-retry-policy';

describe('DEFAULT_DOWNLOAD_RETRY_POLICY', () => {
  it('tries 4 times, waiting about 0.5, 1 and 2 s', () => {
    const noJitter = () => 0.5;
    expect([1, 2, 3].map((a) => nextRetryDelayMs(DEFAULT_DOWNLOAD_RETRY_POLICY, a, noJitter))).toEqual([500, 1000, 2000]);
    expect(nextRetryDelayMs(DEFAULT_DOWNLOAD_RETRY_POLICY, 4)).toBeUndefined();
  });
});
